import { Context } from '@temporalio/activity';
import { ApplicationFailure, type ApplicationFailureOptions } from '@temporalio/common';
import type { Logger } from 'pino';
import type {
  IncidentNotification,
  NoticeFailure,
  NoticeOutcome,
  NoticesDelivered,
  NotificationBatch,
  NotificationRefs,
} from '../../workflows/contracts';

/** Which run of the incident a notification belongs to: a new run under the same id starts its seq again. */
export interface NotificationDelivery {
  runId: string;
}

/**
 * Somewhere incident news goes (a log, Slack, a pager). It may return references for later
 * notifications (`event.refs`). The notify activity delivers each event to each notifier once
 * per run, even when another notifier fails and the activity is retried; a notifier may still be
 * called twice when its own delivery failed half-way or its worker died mid-call.
 */
export interface Notifier {
  /** unique among the worker's notifiers: the key under which its delivery is remembered */
  name: string;
  notify(event: IncidentNotification, delivery: NotificationDelivery): Promise<NotificationRefs | void>;
}

/**
 * What the notify activity heartbeats after each notifier that succeeded: the worker reports the
 * last heartbeat with the failure, and Temporal hands it to the next attempt (on any worker).
 */
interface Delivered {
  /** notifier name → the references it returned */
  delivered: Record<string, NotificationRefs>;
}

export class LogNotifier implements Notifier {
  name = 'log';
  constructor(private readonly logger: Logger) {}

  async notify(event: IncidentNotification): Promise<void> {
    this.logger.info(
      {
        incident: event.incident.id,
        kind: event.kind,
        state: event.incident.state,
        gate: event.gate && { id: event.gate.id, status: event.gate.status, remaining: event.gate.approvalsRemaining },
        escalateTo: event.escalateTo,
      },
      `${event.incident.mode === 'drill' ? '[DRILL] ' : ''}${event.summary}`,
    );
  }
}

/**
 * What `notifyBatch` heartbeats: per event of the batch (by seq), the notifiers that delivered it.
 * A retry resumes there, so no notifier repeats an event it delivered.
 */
interface BatchDelivered {
  batch: Record<number, Record<string, NotificationRefs>>;
}

/**
 * The deliveries this worker made or is making, by run, event and notifier: a delivery that a quick
 * try (a rider, the last news) gave up waiting for is still in flight, and the notifyBatch that
 * takes over the rest awaits it here instead of calling the notifier a second time. Per process and
 * bounded: a notifyBatch on another worker cannot see it (the caveat of `Notifier`, as a worker
 * dying mid-call).
 */
export class DeliveryRegistry {
  private readonly calls = new Map<string, Promise<NotificationRefs>>();
  constructor(private readonly remember = 10_000) {}

  call(key: string, notify: () => Promise<NotificationRefs | void>): Promise<NotificationRefs> {
    const known = this.calls.get(key);
    if (known) return known;
    const call = notify().then((refs) => refs ?? {});
    // a failed call is forgotten, so that the next try calls again
    call.catch(() => this.calls.get(key) === call && this.calls.delete(key));
    this.calls.set(key, call);
    if (this.calls.size > this.remember) this.calls.delete(this.calls.keys().next().value!);
    return call;
  }
}

/**
 * One event to every notifier not in `delivered` yet, recording each success there and calling
 * `progress` after it. Throws when any notifier failed: a single ApplicationFailure as it is (its
 * type decides retrying), several as one retryable error.
 */
async function deliver(
  notifiers: readonly Notifier[],
  event: IncidentNotification,
  delivery: NotificationDelivery,
  delivered: Record<string, NotificationRefs>,
  progress: () => void,
  registry?: DeliveryRegistry,
): Promise<NotificationRefs> {
  const pending = notifiers.filter((n) => !Object.hasOwn(delivered, n.name));
  const results = await Promise.allSettled(
    pending.map(async (n) => {
      const call = () => n.notify(event, delivery);
      delivered[n.name] = registry ? await registry.call(`${delivery.runId}/${event.seq}/${n.name}`, call) : ((await call()) ?? {});
      progress();
    }),
  );
  const failures: { name: string; error: unknown }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') failures.push({ name: pending[i]!.name, error: r.reason });
  });
  if (failures.length === 1 && failures[0]!.error instanceof ApplicationFailure) throw failures[0]!.error;
  if (failures.length) throw new Error(`notifier(s) failed: ${failures.map((f) => `${f.name}: ${(f.error as Error).message}`).join('; ')}`);
  return Object.assign({}, ...notifiers.map((n) => delivered[n.name] ?? {}));
}

/** What the batch says was delivered before, with what a failed attempt heartbeated on top. */
function startingFrom(batch: NotificationBatch, earlier?: NoticesDelivered): NoticesDelivered {
  const progress: NoticesDelivered = {};
  for (const { seq } of batch.events) progress[seq] = { ...batch.delivered?.[seq], ...earlier?.[seq] };
  return progress;
}

/**
 * A quick try at a batch: in order, as notifyBatch, but within `budgetMs` and never throwing. It
 * stops at the first event a notifier failed or did not answer in time, and says how far it got:
 * the workflow hands the rest to a notifyBatch, which retries (a Slack outage never holds up the
 * step or the run's end that carried the try).
 */
export async function deliverWithin(
  notifiers: readonly Notifier[],
  registry: DeliveryRegistry,
  batch: NotificationBatch,
  delivery: NotificationDelivery,
): Promise<NoticeOutcome> {
  const progress = startingFrom(batch);
  const refs: NotificationRefs = { ...batch.refs };
  const deadline = Date.now() + (batch.budgetMs ?? 2_000);
  let complete = 0;
  let error: string | undefined;
  let failure: NoticeFailure | undefined;
  for (const event of batch.events) {
    const delivered = progress[event.seq]!;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no answer within the quick try's budget")), Math.max(0, deadline - Date.now()));
    });
    try {
      Object.assign(
        refs,
        await Promise.race([deliver(notifiers, { ...event, refs: { ...refs } }, delivery, delivered, () => {}, registry), late]),
      );
      complete += 1;
    } catch (err) {
      error = (err as Error).message ?? String(err);
      if (err instanceof ApplicationFailure) {
        failure = {
          message: err.message,
          ...(err.type ? { type: err.type } : {}),
          ...(err.nonRetryable ? { nonRetryable: true } : {}),
          ...(err.nextRetryDelay !== undefined && err.nextRetryDelay !== null ? { nextRetryDelay: err.nextRetryDelay } : {}),
        };
      }
      break;
    } finally {
      clearTimeout(timer);
    }
  }
  // a copy: a call still in flight may record itself later, after this answer is sent
  return {
    refs,
    delivered: structuredClone(progress),
    complete,
    ...(error !== undefined ? { error } : {}),
    ...(failure ? { failure } : {}),
  };
}

export function createNotifyActivities(notifiers: readonly Notifier[], registry = new DeliveryRegistry()) {
  return {
    /**
     * One event to every notifier. When one fails (Slack down) the activity is retried, and the
     * retry calls only the notifiers that have not delivered yet: the log does not repeat lines.
     * Histories from before batches (workflows/notifications.ts) still schedule it.
     */
    async notify(event: IncidentNotification): Promise<NotificationRefs> {
      const { info, heartbeat } = Context.current();
      const earlier = info.heartbeatDetails as Delivered | undefined;
      const delivered: Record<string, NotificationRefs> = { ...earlier?.delivered };
      // always an incident run here; a standalone activity (none today) would count under its own id
      const delivery: NotificationDelivery = { runId: info.workflowExecution?.runId ?? info.activityId };
      return deliver(notifiers, event, delivery, delivered, () => heartbeat({ delivered } satisfies Delivered));
    },

    /**
     * Several events, in order, each to every notifier: one activity (and one workflow task when it
     * completes) instead of one per event. Each event sees the references the ones before it left,
     * as when sent one by one; an event waits until the one before it reached every notifier (Slack
     * updates a message its earlier event posted). A retry skips what was delivered, per event and
     * notifier, as `notify` does.
     */
    async notifyBatch(batch: NotificationBatch): Promise<NotificationRefs> {
      const { info, heartbeat } = Context.current();
      // the quick try that came first counts as the first attempt: Temporal retries as after it
      if (info.attempt === 1 && batch.failure) throw ApplicationFailure.create(batch.failure as ApplicationFailureOptions);
      const earlier = info.heartbeatDetails as BatchDelivered | undefined;
      // what a quick try delivered (batch.delivered) is skipped like what an earlier attempt did
      const progress: BatchDelivered = { batch: startingFrom(batch, earlier?.batch) };
      const delivery: NotificationDelivery = { runId: info.workflowExecution?.runId ?? info.activityId };
      const refs: NotificationRefs = { ...batch.refs };
      for (const event of batch.events) {
        const delivered = progress.batch[event.seq]!;
        Object.assign(
          refs,
          await deliver(notifiers, { ...event, refs: { ...refs } }, delivery, delivered, () => heartbeat(progress), registry),
        );
      }
      return refs;
    },

    /** The run's last news, as a local activity: one quick try (deliverWithin); the workflow sends what it missed in a notifyBatch. */
    async deliverNotices(batch: NotificationBatch): Promise<NoticeOutcome> {
      const { info } = Context.current();
      return deliverWithin(notifiers, registry, batch, { runId: info.workflowExecution?.runId ?? info.activityId });
    },
  };
}
