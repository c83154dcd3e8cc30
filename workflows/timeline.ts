/** The incident's append-only timeline, stamped with workflow time so replays see the same entries. */
export type TimelineKind =
  | 'incident.started'
  | 'incident.state'
  | 'alert.received'
  | 'alert.repeated'
  | 'alert.resolved'
  | 'evidence.recorded'
  | 'approval.requested'
  | 'approval.vote'
  | 'approval.refused'
  | 'approval.reminder'
  | 'approval.escalated'
  | 'approval.eligibility'
  | 'approval.closed'
  | 'action.started'
  | 'action.completed'
  | 'action.failed'
  | 'command.received'
  | 'incident.update'
  | 'verify.passed'
  | 'verify.failed'
  | 'compensation.started'
  | 'compensation.completed'
  | 'compensation.failed'
  | 'notify.failed'
  | 'incident.exposure'
  | 'incident.contained'
  | 'incident.cancel_requested'
  | 'incident.finished';

export interface TimelineEvent {
  seq: number;
  at: string;
  kind: TimelineKind;
  actor: string;
  summary: string;
  details?: Record<string, unknown>;
}

export class Timeline {
  private readonly events: TimelineEvent[] = [];

  append(kind: TimelineKind, actor: string, summary: string, details?: Record<string, unknown>): TimelineEvent {
    const event: TimelineEvent = { seq: this.events.length + 1, at: new Date().toISOString(), kind, actor, summary };
    if (details) event.details = details;
    this.events.push(event);
    return event;
  }

  list(sinceSeq = 0): TimelineEvent[] {
    return this.events.slice(sinceSeq);
  }

  get length(): number {
    return this.events.length;
  }
}
