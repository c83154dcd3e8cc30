/**
 * Intake's counters as Prometheus metrics. The intake keeps its own per-source counts (also at
 * GET /alerts/stats); at each scrape these counters are brought up to them, so the hot path of an
 * alert storm does not pay for a second set of counters.
 */
import { Counter, type Registry } from 'prom-client';
import type { IntakeSource } from './routing';
import { OUTCOMES, type SourceCounts } from './stats';

export function registerIntakeMetrics(registry: Registry, snapshot: () => Partial<Record<IntakeSource, SourceCounts>>): void {
  const seen = new Map<string, number>();
  const advance = (counter: Counter<string>, key: string, labels: Record<string, string>, now: number) => {
    const before = seen.get(key) ?? 0;
    if (now > before) counter.inc(labels, now - before);
    seen.set(key, Math.max(before, now));
  };
  new Counter({
    name: 'tourniquet_alerts_received_total',
    help: 'Alerts that passed validation, by source',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const [source, counts] of Object.entries(snapshot())) advance(this, `received:${source}`, { source }, counts!.alerts);
    },
  });
  new Counter({
    name: 'tourniquet_alerts_total',
    help: 'Alerts answered by intake, by source and outcome: new, joined (deduplicated), resolved, no-route (unrouted), rejected, invalid, unauthorized, too-large, …',
    labelNames: ['source', 'outcome'],
    registers: [registry],
    collect() {
      for (const [source, counts] of Object.entries(snapshot())) {
        for (const outcome of OUTCOMES) advance(this, `${source}:${outcome}`, { source, outcome }, counts![outcome]);
      }
    },
  });
}
