/**
 * Notifications are best-effort and never hold the incident up: a slow or failing notifier (Slack
 * down) must not delay an approval gate. They run beside the workflow, failures land on the
 * timeline, and the workflow waits for the queue only before it completes.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import type { EngineActivities, IncidentHeader, IncidentNotification, NotificationKind } from './contracts';
import type { Incident } from './incident-state';

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

  constructor(
    private readonly incident: Incident,
    private readonly notify: EngineActivities['notify'],
    private readonly batches?: EngineActivities['notifyBatch'],
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
    if (this.batches) {
      this.pending.push(event);
      // the first event since the last batch left queues the next batch; later ones join it
      if (this.pending.length === 1) this.tail = this.tail.then(() => endOfTask()).then(() => this.sendBatch());
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
    await this.tail;
  }
}

/**
 * Resolves once the current workflow task has run everything it can (conditions are checked after
 * the task's microtasks settle), so the sends of the whole task join one batch. No command; not
 * cancellable, so a cancelled incident still sends its last news.
 */
function endOfTask(): Promise<void> {
  let reached = false;
  const settled = CancellationScope.nonCancellable(() => condition(() => reached));
  reached = true;
  return settled;
}

/** The innermost cause's message: an ActivityFailure wraps the error people need to read. */
export function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message ?? String(err);
}
