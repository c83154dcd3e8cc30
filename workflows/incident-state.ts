/**
 * Everything an incident knows, in one object the workflow owns and the queries read.
 */
import type { ApprovalGate, GateView } from './approval-gate';
import { ContainmentClock, type ClockView } from './containment-clock';
import { EvidenceLedger, type LedgerEntry } from './evidence-ledger';
import type { ShardCounts } from './alert-ledger-contract';
import type { AlertBatch, AlertCountsPush, AlertRef, IncidentRequest } from './request';
import { AlertIdentities } from './alert-identities';
import type { AlertResolution } from './alert-resolution';
import type { TrustSnapshot } from './signatures/trust';
import type { CancelRequest } from './cancel';
import { Timeline } from './timeline';

export const INCIDENT_STATES = ['open', 'awaiting-approval', 'acting', 'contained', 'resolved', 'denied', 'failed', 'cancelled'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
/** alert entries on the timeline at most; past it, one entry says so and the counts carry on in `alerts` */
export const ALERT_TIMELINE_BUDGET = 50;

export const FINAL_STATES: readonly IncidentState[] = ['resolved', 'denied', 'failed', 'cancelled'];

export interface AlertCounts {
  /** deliveries of firing alerts: every re-send of the same alert counts again */
  total: number;
  batches: number;
  /** distinct alerts by the sender's own identity (an estimate when `exact` is false: see alert-identities.ts) */
  distinct: number;
  /** distinct alerts whose latest word is firing / resolved (of the first EXACT_KEYS) */
  firing: number;
  resolved: number;
  /** false once more distinct alerts were seen than are kept exactly */
  exact: boolean;
  /** the most alerts a sender said it left out of one notification (Alertmanager's truncatedAlerts) */
  truncated?: number;
  first_seen?: string;
  /** when an alert of this incident was last received (not its startsAt) */
  last_seen?: string;
}

/** The identity an alert is counted under; older gateways sent no key. */
export function alertKey(ref: AlertRef): string {
  return ref.key ?? `~${ref.fingerprint ?? ref.id ?? `${ref.source}:${ref.title}`}`;
}

export interface IncidentStatus {
  id: string;
  title: string;
  playbook: string;
  mode: IncidentRequest['mode'];
  requester: string;
  state: IncidentState;
  gates: GateView[];
  clock: ClockView;
  evidence: LedgerEntry[];
  alerts: AlertCounts;
  outcome?: string;
  /** `unauthenticated` when this incident's gates took decisions without signatures (the demo mode) */
  decisions?: TrustSnapshot['mode'];
  /** whether every alert is resolved, and what that did (alert-lifecycle.ts); absent until that first happens */
  resolution?: AlertResolution;
}

export class Incident {
  state: IncidentState = 'open';
  outcome?: string;
  readonly timeline = new Timeline();
  readonly clock = new ContainmentClock();
  readonly ledger = new EvidenceLedger();
  readonly gates: ApprovalGate[] = [];
  readonly alerts: AlertCounts = { total: 0, batches: 0, distinct: 0, firing: 0, resolved: 0, exact: true };
  private readonly identities = new AlertIdentities();
  /** destructive actions completed since the incident was last marked contained */
  actionsSinceContained = 0;
  /** what notifiers left for later notifications (thread, message ids) */
  readonly notificationRefs: Record<string, string> = {};
  /** the key snapshot of the latest gate: commands (revoke, extend) are checked against it */
  trust?: TrustSnapshot;
  /** who cancelled the incident and why, when a person did (signed) */
  cancelRequest?: CancelRequest;
  /** nonces of refusals already on the timeline */
  readonly auditedNonces = new Set<string>();
  /** written by AlertLifecycle (alert-lifecycle.ts) */
  resolution?: AlertResolution;
  /** the alert ledger's shards, as last pushed (./alert-counts.ts): once any is here, they are the counts */
  readonly ledgerShards = new Map<number, ShardCounts>();
  /** the ledger holds the alerts this incident was opened with */
  ledgerSeeded = false;
  /** alert count pushes taken, and when the latest was */
  alertPushes = 0;
  lastPushAt?: number;
  private alertEntries = 0;

  constructor(
    readonly id: string,
    readonly request: IncidentRequest,
    readonly title: string,
    private readonly onStateChange: (state: IncidentState) => void = () => {},
  ) {}

  setState(state: IncidentState): void {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange(state);
  }

  /** Set by the workflow: brings the memo's open gate up to date (./gate-memo.ts); a no-op when it is. */
  syncGateMemo: () => void = () => {};

  /** Where the incident stands when no gate is open and nothing is running. */
  get restingState(): IncidentState {
    return this.clock.has('contained_at') ? 'contained' : 'open';
  }

  get openGates(): ApprovalGate[] {
    return this.gates.filter((g) => g.status === 'open');
  }

  closeOpenGates(status: 'cancelled', at: number, reason: string): void {
    for (const gate of this.openGates) gate.close(status, at, reason);
  }

  gate(id: string): ApprovalGate | undefined {
    return this.gates.find((g) => g.id === id);
  }

  /** Counts a batch of firing alerts; returns how many of its identities are new or fire again. */
  countAlerts(batch: AlertBatch): number {
    this.alerts.total += batch.count;
    this.alerts.batches += 1;
    const first = batch.firstSeen ?? batch.sample[0]?.detectedAt;
    const last = batch.lastSeen ?? batch.sample.at(-1)?.detectedAt ?? first;
    if (first && (!this.alerts.first_seen || first < this.alerts.first_seen)) this.alerts.first_seen = first;
    if (last && (!this.alerts.last_seen || last > this.alerts.last_seen)) this.alerts.last_seen = last;
    if (batch.truncated && batch.truncated > (this.alerts.truncated ?? 0)) this.alerts.truncated = batch.truncated;
    return this.observe(batch, false);
  }

  /** Records resolved alerts, once per identity: returns how many were not resolved already (a retry gives 0). */
  resolveAlerts(batch: AlertBatch): number {
    return this.observe(batch, true);
  }

  private observe(batch: AlertBatch, resolved: boolean): number {
    let changed = 0;
    for (const key of batch.keys ?? batch.sample.map(alertKey)) {
      if (this.identities.observe(key, resolved) !== 'same') changed += 1;
    }
    if (this.ledgerShards.size === 0) Object.assign(this.alerts, this.identities.counts());
    return changed;
  }

  /** Takes a push of the ledger's counts: deliveries add up, each shard's newest counts replace its older ones. */
  applyPush(push: AlertCountsPush, at: number): void {
    this.alertPushes += 1;
    this.lastPushAt = at;
    if (push.seeded) this.ledgerSeeded = true;
    this.alerts.total += push.deliveries;
    this.alerts.batches += push.batches;
    for (const [shard, counts] of Object.entries(push.shards)) {
      const was = this.ledgerShards.get(Number(shard));
      if (!was || counts.seq > was.seq) this.ledgerShards.set(Number(shard), { ...counts });
    }
    const sum = { distinct: 0, firing: 0, resolved: 0, exact: true };
    for (const c of this.ledgerShards.values()) {
      sum.distinct += c.distinct;
      sum.firing += c.firing;
      sum.resolved += c.resolved;
      sum.exact &&= c.exact;
    }
    if (this.ledgerShards.size > 0) Object.assign(this.alerts, sum);
    if (push.firstSeen && (!this.alerts.first_seen || push.firstSeen < this.alerts.first_seen)) this.alerts.first_seen = push.firstSeen;
    if (push.lastSeen && (!this.alerts.last_seen || push.lastSeen > this.alerts.last_seen)) this.alerts.last_seen = push.lastSeen;
    if (push.truncated && push.truncated > (this.alerts.truncated ?? 0)) this.alerts.truncated = push.truncated;
    const source = push.sample[0]?.source ?? 'alerts';
    const first = push.sample[0];
    if (push.deliveries > 0 || push.firingFresh > 0) {
      this.noteAlerts('alert.repeated', source, `${push.deliveries} more alert(s), ${push.firingFresh} new or firing again`, {
        count: push.deliveries,
        total: this.alerts.total,
        distinct: this.alerts.distinct,
        first_seen: push.firstSeen,
        last_seen: push.lastSeen,
      });
    }
    if (push.resolvedFresh > 0) {
      this.noteAlerts('alert.resolved', source, `${push.resolvedFresh} alert(s) resolved${first ? `: ${first.title}` : ''}`, {
        count: push.resolvedFresh,
        resolved_at: push.lastSeen,
        firing: this.alerts.firing,
        resolved: this.alerts.resolved,
      });
    }
  }

  /**
   * An alert entry on the timeline, up to ALERT_TIMELINE_BUDGET of them: a storm is counted in
   * `alerts` (status), never listed entry by entry, so neither history nor the timeline grows with it.
   */
  noteAlerts(kind: 'alert.repeated' | 'alert.resolved', actor: string, summary: string, details: Record<string, unknown>): void {
    this.alertEntries += 1;
    if (this.alertEntries < ALERT_TIMELINE_BUDGET) this.timeline.append(kind, actor, summary, details);
    else if (this.alertEntries === ALERT_TIMELINE_BUDGET) {
      this.timeline.append(
        kind,
        'tourniquet',
        `${ALERT_TIMELINE_BUDGET} alert entries: further alerts are counted in the incident's alert counts, not listed`,
        {
          total: this.alerts.total,
          distinct: this.alerts.distinct,
          firing: this.alerts.firing,
          resolved: this.alerts.resolved,
        },
      );
    }
  }

  status(): IncidentStatus {
    const status: IncidentStatus = {
      id: this.id,
      title: this.title,
      playbook: this.request.playbook,
      mode: this.request.mode,
      requester: this.request.requester,
      state: this.state,
      gates: this.gates.map((g) => g.view()),
      clock: this.clock.view(),
      evidence: this.ledger.list(),
      alerts: { ...this.alerts },
    };
    if (this.outcome) status.outcome = this.outcome;
    if (this.resolution) status.resolution = { ...this.resolution };
    if (this.trust) status.decisions = this.gates.some((g) => g.trust?.mode === 'unauthenticated') ? 'unauthenticated' : 'signed';
    return status;
  }
}
