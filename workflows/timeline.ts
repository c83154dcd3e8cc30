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

/** the most one timeline query answers (characters of JSON, about bytes): see page() */
export const TIMELINE_PAGE_BYTES = 256 * 1024;

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

  /**
   * The entries after `sinceSeq`, as many as fit in TIMELINE_PAGE_BYTES (always at least one): a
   * query answer stays well under the SDK's 512 KB warning and Temporal's limits, however long the
   * timeline. Clients page on from the last entry's seq until a page comes back empty.
   */
  page(sinceSeq = 0): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    let bytes = 2;
    for (let i = Math.max(0, sinceSeq); i < this.events.length; i++) {
      const event = this.events[i]!;
      bytes += JSON.stringify(event).length + 1;
      if (out.length > 0 && bytes > TIMELINE_PAGE_BYTES) break;
      out.push(event);
    }
    return out;
  }

  get length(): number {
    return this.events.length;
  }
}
