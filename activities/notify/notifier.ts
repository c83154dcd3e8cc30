import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { IncidentNotification, NotificationRefs } from '../../workflows/contracts';

/**
 * Somewhere incident news goes (a log, Slack, a pager). It may return references for later
 * notifications (`event.refs`), and must tolerate being called twice for one event (retries).
 */
export interface Notifier {
  name: string;
  notify(event: IncidentNotification): Promise<NotificationRefs | void>;
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
    async notify(event: IncidentNotification): Promise<NotificationRefs> {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(event)));
      const refs: NotificationRefs = {};
      const failures: { name: string; error: unknown }[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') Object.assign(refs, r.value ?? {});
        else failures.push({ name: notifiers[i]!.name, error: r.reason });
      });
      if (failures.length === 1 && failures[0]!.error instanceof ApplicationFailure) throw failures[0]!.error;
      if (failures.length) throw new Error(`notifier(s) failed: ${failures.map((f) => `${f.name}: ${(f.error as Error).message}`).join('; ')}`);
      return refs;
    },
  };
}
