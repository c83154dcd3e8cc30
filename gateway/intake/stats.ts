/**
 * In-memory intake counters, per source and outcome, served at GET /alerts/stats (Prometheus
 * metrics come later). Per gateway process: several gateways each count their own.
 */
import type { IntakeSource } from './routing';

export const OUTCOMES = [
  'new',
  'joined',
  'suppressed',
  'resolved',
  'no-open-incident',
  'no-route',
  'ignored',
  'duplicate',
  'rejected',
  'invalid',
  'unauthorized',
  'stale',
  'too-large',
  'unsupported',
  'unavailable',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** alerts: those that passed validation; truncatedAlerts: those senders said they left out (Alertmanager) */
export type SourceCounts = { alerts: number; truncatedAlerts: number } & Record<Outcome, number>;

export class IntakeCounters {
  private readonly counts = new Map<IntakeSource, SourceCounts>();

  private of(source: IntakeSource): SourceCounts {
    let c = this.counts.get(source);
    if (!c) {
      c = { alerts: 0, truncatedAlerts: 0, ...(Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>) };
      this.counts.set(source, c);
    }
    return c;
  }

  /** one answer about one alert (a request that never got as far as alerts counts once) */
  count(source: IntakeSource, outcome: Outcome, n = 1): void {
    this.of(source)[outcome] += n;
  }

  /** alerts that passed validation */
  alerts(source: IntakeSource, n: number): void {
    this.of(source).alerts += n;
  }

  /** alerts a notification said it left out (Alertmanager's truncatedAlerts): counted, never seen */
  truncated(source: IntakeSource, n: number): void {
    this.of(source).truncatedAlerts += n;
  }

  snapshot(): Partial<Record<IntakeSource, SourceCounts>> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, { ...v }]));
  }
}
