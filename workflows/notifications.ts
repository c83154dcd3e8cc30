/**
 * Notifications are best-effort and never hold the incident up: a slow or failing notifier (Slack
 * down) must not delay an approval gate. They run beside the workflow, failures land on the
 * timeline, and the workflow waits for the queue only before it completes.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import {
  NOTICES_FIELD,
  type EngineActivities,
  type IncidentHeader,
  type IncidentNotification,
  type NoticeFailure,
  type NoticeOutcome,
  type NotificationBatch,
  type NotificationKind,
  type NotificationRefs,
} from './contracts';
import type { Incident } from './incident-state';
import { isPatched } from './patches';

export function incidentHeader(incident: Incident): IncidentHeader {
  const header: IncidentHeader = {
    id: incident.id,
    title: incident.title,
    playbook: incident.request.playbook,
    mode: incident.request.mode,
    requester: incident.request.requester,
    state: incident.state,
  };
  const { distinct, total, firing, resolved, exact } = incident.alerts;
  if (distinct > 0 || total > 0) header.alerts = { distinct, total, firing, resolved, exact };
  if (incident.resolution) header.resolution = { ...incident.resolution };
  return header;
}

/**
 * One queue per incident: notifications go out in order, each seeing the references the earlier
 * ones left (a Slack approval message must exist before it can be updated). A stalled notifier
 * (Slack down) holds only this queue, never the incident; when it answers again, the queue
 * catches up in order, which brings every message up to date.
 *
 * With `batches` (new runs; see incident.ts), everything sent during one workflow task, and
 * everything sent while a batch is out, goes in one `notifyBatch` activity: an approval and the
 * action it starts are one activity, not two, and each activity saved is also a workflow task
 * saved (its completion wakes the workflow). Delivery order, references and the once-per-notifier
 * guarantee are the same as one by one (activities/notify/notifier.ts).
 */
export class NotificationQueue {
  private tail: Promise<void> = Promise.resolve();
  private seq = 0;
  private pending: Omit<IncidentNotification, 'refs'>[] = [];
  /** whether the incident takes commands now, once its inbox exists: notifiers withdraw offered buttons when not */
  commandsOpen?: () => boolean;
  /** with `quick` (riders): what waits to go, the batch or rider out, the loop sending them, the run's end reached */
  private queued: Queued[] = [];
  private out?: Promise<void>;
  private loop?: Promise<void>;
  private ending = false;
  /** how the last quick try failed, for the notifyBatch that takes over */
  private failure?: NoticeFailure;
  /** one non-cancellable scope for every endOfTask of this queue: a scope per call cost 3 more workflow promises, each a captured stack (issue 15) */
  private readonly taskEnd = new CancellationScope({ cancellable: false });

  constructor(
    private readonly incident: Incident,
    private readonly notify: EngineActivities['notify'],
    private readonly batches?: EngineActivities['notifyBatch'],
    private readonly quick?: EngineActivities['deliverNotices'],
    /** whether `quick` may also try the last news and an approval request in a local activity (not in new runs: patches.ts NO_LOCAL_ACTIVITIES_PATCH) */
    private readonly quickTries = true,
  ) {}

  send(kind: NotificationKind, summary: string, extra: Partial<Omit<IncidentNotification, 'refs' | 'seq'>> = {}): void {
    // The event describes the incident as it is now; the references are read when it is sent.
    const open = this.commandsOpen?.();
    const event = {
      seq: ++this.seq,
      kind,
      incident: incidentHeader(this.incident),
      summary,
      ...extra,
      ...(open !== undefined ? { commandsOpen: open } : {}),
    };
    if (this.quick) {
      this.queued.push({ event });
      this.loop ??= this.run();
      return;
    }
    if (this.batches) {
      this.pending.push(event);
      // the first event since the last batch left queues the next batch; later ones join it
      if (this.pending.length === 1) this.tail = this.tail.then(() => endOfTask(this.taskEnd)).then(() => this.sendBatch());
      return;
    }
    this.tail = this.tail.then(async () => {
      try {
        const refs = await this.notify({ ...event, refs: { ...this.incident.notificationRefs } });
        Object.assign(this.incident.notificationRefs, refs);
      } catch (err) {
        this.incident.timeline.append('notify.failed', 'tourniquet', `notification ${kind} failed: ${messageOf(err)}`);
      }
    });
  }

  private async sendBatch(): Promise<void> {
    const events = this.pending.splice(0);
    try {
      // Not cancellable: a batch may hold the news of the incident's end, queued behind one sent
      // before Temporal cancelled the run (one by one, that news went out in a scope of its own).
      const refs = await CancellationScope.nonCancellable(() => this.batches!({ refs: { ...this.incident.notificationRefs }, events }));
      Object.assign(this.incident.notificationRefs, refs);
    } catch (err) {
      const kinds = events.map((e) => e.kind).join(', ');
      this.incident.timeline.append('notify.failed', 'tourniquet', `notification ${kinds} failed: ${messageOf(err)}`);
    }
  }

  async drain(): Promise<void> {
    if (!this.quick) {
      // awaited, not returned: a returned promise settles ticks later, which would reorder recorded histories' commands
      await this.tail;
      return;
    }
    this.ending = true;
    while (this.loop || this.out) await (this.loop ?? this.out);
  }

  /**
   * With `quick`: a step about to schedule its activity takes what this task queued, to ride in its
   * input (see NOTICES_FIELD), when nothing sent earlier is still out: the riders go after every
   * earlier notice, and whatever is sent after them waits until the step answers (a step that
   * carries riders is one whose activity is short: evidence, an action, a plain verification). The
   * step calls `landed` with what it answered, or with nothing when it failed; what did not reach
   * every notifier goes in a notifyBatch then. Nothing to carry: undefined.
   */
  riders(): Riders | undefined {
    if (!this.quick || this.out || this.queued.length === 0) return undefined;
    const items = this.queued.splice(0);
    const batch = this.batchOf(items, RIDER_BUDGET_MS);
    let settle: (() => void) | undefined;
    this.out = new Promise<void>((resolve) => (settle = resolve));
    return {
      input: (req) => ({ ...req, [NOTICES_FIELD]: batch }),
      landed: (answer) => {
        if (!settle) return answer; // once: the step's own failure path may call it again
        // a worker that does not know riders answers the step's result alone: the notices all go in a notifyBatch
        const carried = answer !== null && typeof answer === 'object' && Object.hasOwn(answer, NOTICES_FIELD);
        const { [NOTICES_FIELD]: outcome, result } = carried ? (answer as { [NOTICES_FIELD]: NoticeOutcome; result: unknown }) : {};
        this.absorb(items, outcome);
        this.out = undefined;
        settle();
        settle = undefined;
        return carried ? result : answer;
      },
    };
  }

  /** Whether notices ride steps in this run: then the notices a step's scheduling brings are sent before it, to ride along. */
  get riding(): boolean {
    return !!this.quick;
  }

  /**
   * Sends what is queued, one batch at a time: after the task that queued it (so the whole task's
   * notices join, or a step takes them), and after whatever is out. The run's last news, and in new
   * runs an approval request (quickBudget), get one quick try in a local activity (no activity
   * completion to wait for, so no workflow task of its own); what that or a rider missed goes in a
   * notifyBatch, which retries.
   */
  private async run(): Promise<void> {
    for (;;) {
      while (this.out) await this.out;
      await endOfTask(this.taskEnd);
      if (this.out) continue;
      if (this.queued.length === 0) {
        this.loop = undefined;
        return;
      }
      const items = this.queued.splice(0);
      const tried = !this.quickTries || items.some((i) => i.missed);
      const budget = tried ? undefined : this.ending ? LAST_NEWS_BUDGET_MS : quickBudget(items);
      this.out = budget !== undefined ? this.tryQuick(items, budget) : this.sendQueued(items);
    }
  }

  private async tryQuick(items: Queued[], budgetMs: number): Promise<void> {
    let outcome: NoticeOutcome | undefined;
    try {
      outcome = await CancellationScope.nonCancellable(() => this.quick!(this.batchOf(items, budgetMs)));
    } catch {
      // a local activity that timed out: the notifyBatch after it delivers all of it
    }
    this.absorb(items, outcome);
    this.out = undefined;
  }

  private async sendQueued(items: Queued[]): Promise<void> {
    try {
      const batch = { ...this.batchOf(items), ...(this.failure ? { failure: this.failure } : {}) };
      this.failure = undefined;
      const refs = await CancellationScope.nonCancellable(() => this.batches!(batch));
      Object.assign(this.incident.notificationRefs, refs);
    } catch (err) {
      const kinds = items.map((i) => i.event.kind).join(', ');
      this.incident.timeline.append('notify.failed', 'tourniquet', `notification ${kinds} failed: ${messageOf(err)}`);
    }
    this.out = undefined;
  }

  private batchOf(items: Queued[], budgetMs?: number): NotificationBatch {
    const delivered = Object.fromEntries(items.filter((i) => i.delivered).map((i) => [i.event.seq, i.delivered!]));
    return {
      refs: { ...this.incident.notificationRefs },
      events: items.map((i) => i.event),
      ...(Object.keys(delivered).length ? { delivered } : {}),
      ...(budgetMs !== undefined ? { budgetMs } : {}),
    };
  }

  /** A quick try's outcome: its references kept, what it missed queued first again, for a notifyBatch. */
  private absorb(items: Queued[], outcome?: NoticeOutcome): void {
    if (outcome) Object.assign(this.incident.notificationRefs, outcome.refs);
    const missed = items.slice(outcome?.complete ?? 0).map(({ event }): Queued => {
      const delivered = outcome?.delivered[event.seq];
      return { event, missed: true, ...(delivered && Object.keys(delivered).length ? { delivered } : {}) };
    });
    if (missed.length === 0) return;
    this.failure = outcome?.failure;
    this.queued.unshift(...missed);
    this.loop ??= this.run();
  }
}

/** Notices riding one step activity: its input carries them; `landed` takes its answer (nothing when it failed) and returns the step's own result. */
export interface Riders {
  input: (req: object) => object;
  landed: (answer?: unknown) => any;
}

interface Queued {
  event: Omit<IncidentNotification, 'refs'>;
  /** the notifiers a quick try reached, and what they returned */
  delivered?: Record<string, NotificationRefs>;
  /** a quick try missed it: a notifyBatch takes it from here */
  missed?: boolean;
}

/**
 * How long notices riding a step may add to it once it succeeded: about one Slack post. A Slack
 * that answers slower than this costs the step no more; the rest goes in a notifyBatch.
 */
const RIDER_BUDGET_MS = 2_000;
/** The run's last news waits this long in its local activity before a notifyBatch takes over. */
const LAST_NEWS_BUDGET_MS = 3_000;

/** Histories recorded before it send the approval request in a notifyBatch of its own (its completion a workflow task for nothing). */
export const QUICK_NOTICES_PATCH = 'quick-notices';
/**
 * How long the approval request may hold the task that opens its gate, tried in a local activity
 * before a notifyBatch takes over: about one Slack post, and the most a Slack outage adds to the gate.
 */
const APPROVAL_REQUEST_BUDGET_MS = 2_000;

/**
 * Which notices, not riding a step, get a quick try first (new runs): only a batch carrying an
 * approval request. That notice is on every incident's path (start → gate open) and its
 * notifyBatch's completion woke the workflow for nothing; a quick try that reaches Slack costs
 * neither. The price is the task it holds open, up to the budget when Slack is slow: a decision
 * (an Update) or an alert that arrives meanwhile waits for it, and the gate's memo and deadline
 * timer reach the server with it (the deadline itself is the gate's, not the timer's, see
 * ApprovalGate.pastDeadline). Other notices (reminders, escalations, alert and command news) come
 * while a gate waits for people, when holding the task would hold their decisions, and are rare
 * beside it: they keep the notifyBatch. What a quick try missed goes in a notifyBatch, which
 * counts the try as its first attempt and skips what it delivered (activities/notify/notifier.ts).
 */
function quickBudget(items: Queued[]): number | undefined {
  if (!items.some((i) => i.event.kind === 'approval.requested')) return undefined;
  return isPatched(QUICK_NOTICES_PATCH) ? APPROVAL_REQUEST_BUDGET_MS : undefined;
}

/**
 * Resolves once the current workflow task has run everything it can (conditions are checked after
 * the task's microtasks settle), so the sends of the whole task join one batch. No command; not
 * cancellable, so a cancelled incident still sends its last news.
 */
function endOfTask(scope: CancellationScope): Promise<void> {
  let reached = false;
  const settled = scope.run(() => condition(() => reached));
  reached = true;
  return settled;
}

/** The innermost cause's message: an ActivityFailure wraps the error people need to read. */
export function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message ?? String(err);
}
