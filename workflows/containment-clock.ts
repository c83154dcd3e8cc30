/**
 * The containment clock: when the incident was detected, received, asked for approval, decided,
 * acted on, contained and resolved. Each mark is set once (the first time), so re-running a
 * step or opening a second gate does not move the figures people report.
 */
export const CLOCK_MARKS = [
  /** when the thing contained first became exposed, e.g. the commit that leaked a key (playbook-reported) */
  'exposed_at',
  'detected_at',
  'received_at',
  'approval_requested_at',
  'decided_at',
  'action_started_at',
  'contained_at',
  'resolved_at',
] as const;
export type ClockMark = (typeof CLOCK_MARKS)[number];

export interface ContainmentDurations {
  /** received → first decision on the first gate */
  time_to_approve_ms?: number;
  /** detected (or received) → contained */
  time_to_contain_ms?: number;
  /** detected → received: how late the alert reached us */
  detection_delay_ms?: number;
  /** detected (or received) → resolved */
  time_to_resolve_ms?: number;
  /** exposed → contained: how long the leak or the attacker had */
  exposure_window_ms?: number;
}

export type ClockView = Partial<Record<ClockMark, string>> & { durations: ContainmentDurations };

export class ContainmentClock {
  private readonly marks: Partial<Record<ClockMark, number>> = {};

  mark(name: ClockMark, at: number = Date.now()): void {
    if (this.marks[name] === undefined) this.marks[name] = at;
  }

  has(name: ClockMark): boolean {
    return this.marks[name] !== undefined;
  }

  view(): ClockView {
    const view: ClockView = { durations: {} };
    for (const name of CLOCK_MARKS) {
      const at = this.marks[name];
      if (at !== undefined) view[name] = new Date(at).toISOString();
    }
    const m = this.marks;
    const start = m.detected_at ?? m.received_at;
    const d = view.durations;
    if (m.received_at !== undefined && m.decided_at !== undefined) d.time_to_approve_ms = m.decided_at - m.received_at;
    if (start !== undefined && m.contained_at !== undefined) d.time_to_contain_ms = m.contained_at - start;
    if (m.detected_at !== undefined && m.received_at !== undefined) d.detection_delay_ms = m.received_at - m.detected_at;
    if (start !== undefined && m.resolved_at !== undefined) d.time_to_resolve_ms = m.resolved_at - start;
    if (m.exposed_at !== undefined && m.contained_at !== undefined) d.exposure_window_ms = m.contained_at - m.exposed_at;
    return view;
  }
}
