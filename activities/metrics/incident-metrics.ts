/**
 * The numbers that matter, as Prometheus metrics. Workflow code cannot touch a metrics registry
 * (it must stay deterministic), so incidents report through their notifications: the
 * MetricsNotifier turns "started", "refused" and "finished" (with its durations) into counters and
 * histograms. Activity failures are counted by an activity interceptor, by the system they talk to.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Histogram, Registry } from 'prom-client';
import type { IncidentNotification } from '../../workflows/contracts';
import type { NotificationDelivery, Notifier } from '../notify/notifier';

const SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export class IncidentMetrics {
  readonly started: Counter<'playbook' | 'mode'>;
  readonly finished: Counter<'playbook' | 'mode' | 'outcome'>;
  readonly timeToApprove: Histogram<'playbook' | 'mode'>;
  readonly timeToContain: Histogram<'playbook' | 'mode'>;
  readonly refusals: Counter<'reason'>;
  readonly activityFailures: Counter<'system' | 'type'>;

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    this.started = new Counter({
      name: 'tourniquet_incidents_started_total',
      help: 'Incidents started',
      labelNames: ['playbook', 'mode'],
      registers,
    });
    this.finished = new Counter({
      name: 'tourniquet_incidents_total',
      help: 'Incidents finished, by outcome (resolved, denied, failed, cancelled)',
      labelNames: ['playbook', 'mode', 'outcome'],
      registers,
    });
    this.timeToApprove = new Histogram({
      name: 'tourniquet_time_to_approve_seconds',
      help: 'Received → first decision',
      labelNames: ['playbook', 'mode'],
      buckets: SECONDS,
      registers,
    });
    this.timeToContain = new Histogram({
      name: 'tourniquet_time_to_contain_seconds',
      help: 'Detected (or received) → contained',
      labelNames: ['playbook', 'mode'],
      buckets: SECONDS,
      registers,
    });
    this.refusals = new Counter({
      name: 'tourniquet_approval_refusals_total',
      help: 'Decisions the approval gate refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.activityFailures = new Counter({
      name: 'tourniquet_activity_failures_total',
      help: 'Activity attempts that failed, by the system they talk to',
      labelNames: ['system', 'type'],
      registers,
    });
  }

  record(event: IncidentNotification): void {
    const labels = { playbook: event.incident.playbook, mode: event.incident.mode };
    switch (event.kind) {
      case 'incident.started':
        this.started.inc(labels);
        break;
      case 'approval.refused':
        this.refusals.inc({ reason: event.refusal?.code ?? 'unknown' });
        break;
      case 'incident.finished': {
        this.finished.inc({ ...labels, outcome: event.incident.state });
        const d = event.durations ?? {};
        if (d.time_to_approve_ms !== undefined) this.timeToApprove.observe(labels, d.time_to_approve_ms / 1000);
        if (d.time_to_contain_ms !== undefined) this.timeToContain.observe(labels, d.time_to_contain_ms / 1000);
        break;
      }
    }
  }

  /** Activity interceptor: every failed attempt, labelled with its system and failure type. */
  failureInterceptor(): ActivityInterceptorsFactory {
    return (ctx) => ({
      inbound: {
        execute: async (input, next) => {
          try {
            return await next(input);
          } catch (err) {
            const e = err as { type?: string; name?: string };
            this.activityFailures.inc({ system: systemOf(ctx.info.activityType), type: e.type ?? e.name ?? 'Error' });
            throw err;
          }
        },
      },
    });
  }
}

/** `githubRevokeSecret` → github, `kubeIsolatePod` → kube, `demoQuarantine` → demo. */
export function systemOf(activityType: string): string {
  const known: Record<string, string> = { notify: 'notify', resolveApprovalPolicy: 'approvals' };
  return known[activityType] ?? /^[a-z]+/.exec(activityType)?.[0] ?? 'unknown';
}

/**
 * Counts each notification once per run: a new run under the same incident id (started again after
 * the first finished) is a new incident to count, while a retried notify activity is not. The notify
 * activity already skips notifiers that delivered before a retry; this set also covers a retry after
 * a heartbeat was lost. Per worker process, so a retry that lands on another worker after a lost
 * heartbeat can still count twice: these are operational figures, and `tourniquet report` (read
 * from Temporal) is the record.
 */
export class MetricsNotifier implements Notifier {
  name = 'metrics';
  private readonly seen = new Set<string>();
  constructor(
    private readonly metrics: IncidentMetrics,
    private readonly remember = 50_000,
  ) {}

  async notify(event: IncidentNotification, delivery: NotificationDelivery): Promise<void> {
    const key = `${delivery.runId}#${event.seq}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > this.remember) this.seen.delete(this.seen.values().next().value!);
    this.metrics.record(event);
  }
}
