/**
 * What an incident does when its alerts resolve, and what a FAILED run leaves for the gateway to
 * decide whether another run would fail the same way (gateway/intake/reopen.ts).
 *
 * The alerts handler calls `afterAlerts` once it has updated `incident.alerts`. When every distinct
 * alert is resolved (counted exactly: beyond EXACT_KEYS nobody can say "all"), the incident shows
 * it (status, Slack: "alert resolved 2 min ago"), and, on a route with `onResolved: withdraw`, its
 * open approval requests are withdrawn: closed as "alert resolved", no further gate opens, and
 * nothing already done is undone (no compensation: the incident ends resolved, not failed).
 *
 * Everything here that issues commands (notifications, memo) is behind patched(): histories
 * recorded before it replay unchanged.
 */
import { ApplicationFailure, upsertMemo } from '@temporalio/workflow';
import { channelOf, evidenceShown } from './approval-wait';
import { FAILURE_TYPES } from './failure-types';
import { FINAL_STATES, type Incident, type IncidentState } from './incident-state';
import type { AlertBatch } from './request';
import { messageOf, type NotificationQueue } from './notifications';
import { isPatched } from './patches';
import { CAUSE_MEMO, requestDigest, type RunCause } from './run-cause';

const LIFECYCLE_PATCH = 'alert-lifecycle';
const CAUSE_PATCH = 'run-cause-memo';

export class AlertLifecycle {
  constructor(
    private readonly incident: Incident,
    private readonly notifier: NotificationQueue,
  ) {}

  private get onResolved() {
    return this.incident.request.lifecycle?.onResolved ?? 'note';
  }

  /** After a batch of alerts (firing or resolved) was counted on the incident. */
  afterAlerts(batch: Pick<AlertBatch, 'status' | 'lastSeen'>): void {
    const { incident } = this;
    const a = incident.alerts;
    const allResolved = a.exact && a.distinct > 0 && a.firing === 0 && a.resolved > 0;
    const shown = incident.resolution?.all_resolved_at;
    if (allResolved === !!shown) return;
    const now = Date.now();
    if (allResolved) {
      // the alerts' own word on when they stopped firing, else when it reached us
      const at = batch.status === 'resolved' && batch.lastSeen ? batch.lastSeen : new Date(now).toISOString();
      incident.resolution = { ...incident.resolution, on_resolved: this.onResolved, all_resolved_at: at };
    } else {
      const { all_resolved_at: _, ...rest } = incident.resolution!;
      incident.resolution = rest;
    }
    if (FINAL_STATES.includes(incident.state) || incident.resolution.withdrawn_at) return;
    if (!isPatched(LIFECYCLE_PATCH)) return;
    if (allResolved && this.onResolved === 'withdraw') this.withdraw(now);
    else this.tellOpenGates(allResolved);
  }

  /**
   * The final state and outcome of a run that ends now: a run whose requests were withdrawn ends
   * resolved (its alerts did), saying so, however the playbook took the withdrawal.
   */
  outcome(state: IncidentState, outcome: string): [IncidentState, string] {
    const withdrawn = this.incident.resolution?.withdrawn_at;
    if (!withdrawn || (state !== 'denied' && state !== 'resolved')) return [state, outcome];
    return [
      'resolved',
      `alert resolved: every alert was resolved, so open approval requests were withdrawn (${withdrawn}) and nothing further ran; nothing done was undone`,
    ];
  }

  private withdraw(now: number): void {
    const { incident } = this;
    const reason = `alert resolved: all ${incident.alerts.distinct} distinct alert(s) resolved; request withdrawn`;
    incident.resolution!.withdrawn_at = new Date(now).toISOString();
    const open = incident.openGates;
    incident.timeline.append(
      'incident.update',
      'tourniquet',
      `every alert resolved: ${open.length ? `approval request(s) ${open.map((g) => g.id).join(', ')} withdrawn; ` : ''}no further approval is asked`,
      {
        on_resolved: 'withdraw',
        gates: open.map((g) => g.id),
      },
    );
    // The gates' waits wake up, record the closure (approval.closed, Slack updated) and the
    // playbook stops as on a denial: nothing further runs and no compensation does.
    for (const gate of open) gate.close('withdrawn', now, reason);
  }

  private tellOpenGates(allResolved: boolean): void {
    const { incident } = this;
    const summary = allResolved
      ? `every alert resolved (${incident.alerts.distinct} distinct); the approval request stays open: this route notes resolutions`
      : 'an alert fires again after every alert was resolved';
    for (const gate of incident.openGates) {
      this.notifier.send('alerts.resolution', summary, { gate: gate.view(), ...evidenceShown(incident, gate), ...channelOf(gate.policy) });
    }
  }
}

/** The next destructive step of a run whose requests were withdrawn: refused like a denial, so nothing further runs. */
export function withdrawnFailure(incident: Incident): ApplicationFailure | undefined {
  if (!incident.resolution?.withdrawn_at) return undefined;
  return ApplicationFailure.nonRetryable(
    'alert resolved: approval requests were withdrawn; no further step runs',
    FAILURE_TYPES.ApprovalDenied,
  );
}

/** In the memo of a FAILED run: what the gateway compares a new alert's request with before opening another run. */
export function recordFailureCause(incident: Incident, params: unknown, err: unknown): void {
  if (!isPatched(CAUSE_PATCH)) return;
  const cause: RunCause = { message: messageOf(err).slice(0, 300), request: requestDigest(incident.request.playbook, params) };
  const type = failureType(err);
  if (type) cause.type = type;
  upsertMemo({ [CAUSE_MEMO]: cause });
}

/** The innermost ApplicationFailure's type: an ActivityFailure wraps the one that says why. */
function failureType(err: unknown): string | undefined {
  let type: string | undefined;
  let e = err as { type?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 10; depth++) {
    if (typeof e.type === 'string' && e.type) type = e.type;
    e = e.cause as typeof e;
  }
  return type;
}
