/**
 * Notifications are best-effort and never hold the incident up: a slow or failing notifier (Slack
 * down) must not delay an approval gate. They run beside the workflow, failures land on the
 * timeline, and the workflow waits for the stragglers only before it completes.
 */
import type { EngineActivities, IncidentHeader, IncidentNotification, NotificationKind } from './contracts';
import type { Incident } from './incident-state';

export function incidentHeader(incident: Incident): IncidentHeader {
  return {
    id: incident.id,
    title: incident.title,
    playbook: incident.request.playbook,
    mode: incident.request.mode,
    requester: incident.request.requester,
    state: incident.state,
  };
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly incident: Incident,
    private readonly notify: EngineActivities['notify'],
  ) {}

  send(kind: NotificationKind, summary: string, extra: Partial<IncidentNotification> = {}): void {
    const event: IncidentNotification = { kind, incident: incidentHeader(this.incident), summary, ...extra };
    const sent = this.notify(event).catch((err: unknown) => {
      this.incident.timeline.append('notify.failed', 'tourniquet', `notification ${kind} failed: ${messageOf(err)}`);
    });
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** The innermost cause's message: an ActivityFailure wraps the error people need to read. */
export function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message ?? String(err);
}
