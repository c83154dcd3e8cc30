import type { Logger } from 'pino';
import type { IncidentNotification } from '../../workflows/contracts';

/** Somewhere incident news goes (a log, Slack, a pager). Must tolerate being called twice for one event. */
export interface Notifier {
  name: string;
  notify(event: IncidentNotification): Promise<void>;
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
    async notify(event: IncidentNotification): Promise<void> {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(event)));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${notifiers[i]!.name}: ${(r.reason as Error).message}`] : []));
      if (failed.length) throw new Error(`notifier(s) failed: ${failed.join('; ')}`);
    },
  };
}
