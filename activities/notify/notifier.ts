import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { IncidentNotification, NotificationRefs } from '../../workflows/contracts';

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

export function createNotifyActivities(notifiers: readonly Notifier[]) {
  return {
    /**
     * One event to every notifier. When one fails (Slack down) the activity is retried, and the
     * retry calls only the notifiers that have not delivered yet: the log does not repeat lines.
     */
    async notify(event: IncidentNotification): Promise<NotificationRefs> {
      const { info, heartbeat } = Context.current();
      const earlier = info.heartbeatDetails as Delivered | undefined;
      const delivered: Record<string, NotificationRefs> = { ...earlier?.delivered };
      // always an incident run here; a standalone activity (none today) would count under its own id
      const delivery: NotificationDelivery = { runId: info.workflowExecution?.runId ?? info.activityId };
      const pending = notifiers.filter((n) => !Object.hasOwn(delivered, n.name));
      const results = await Promise.allSettled(
        pending.map(async (n) => {
          delivered[n.name] = (await n.notify(event, delivery)) ?? {};
          heartbeat({ delivered } satisfies Delivered);
        }),
      );
      const failures: { name: string; error: unknown }[] = [];
      results.forEach((r, i) => {
        if (r.status === 'rejected') failures.push({ name: pending[i]!.name, error: r.reason });
      });
      if (failures.length === 1 && failures[0]!.error instanceof ApplicationFailure) throw failures[0]!.error;
      if (failures.length)
        throw new Error(`notifier(s) failed: ${failures.map((f) => `${f.name}: ${(f.error as Error).message}`).join('; ')}`);
      return Object.assign({}, ...notifiers.map((n) => delivered[n.name] ?? {}));
    },
  };
}
