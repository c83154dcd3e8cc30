/**
 * Who may decide a gate, resolved so that a Slack outage never fails the incident. The policy
 * activity retries Slack with backoff (a 429 waits its Retry-After); its last attempt falls back to
 * each Slack user group's last known membership, recorded as such on the timeline. A group with no
 * known membership is left unresolved: nobody from it may decide (the gate fails closed), and the
 * gate keeps asking Slack while it is open, so a later answer still lets its members decide.
 */
import { CancellationScope, condition, isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ApprovalGate } from './approval-gate';
import type { EngineActivities, PolicyRequest, ResolvedPolicy, UnresolvedGroup } from './contracts';
import type { EvidenceRef } from './evidence-ledger';
import type { Incident } from './incident-state';
import { messageOf, type NotificationQueue } from './notifications';
import { isPatched, NO_LOCAL_ACTIVITIES_PATCH } from './patches';

/** Before this patch: three quick attempts, and a Slack outage failed the incident. */
export const SLACK_FALLBACK_PATCH = 'slack-outage-fallback';

/** Local: policy lookup is in-memory on the worker, and a server round trip here delays every gate. */
const { resolveApprovalPolicy: resolveBeforeFallback } = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/**
 * Before this patch the lookups could be cancelled while in flight. Cancelling a local activity
 * whose result has reached the SDK's core but not yet the workflow code (a race that load widens:
 * a Temporal cancel, or a decision ending the gate's retries) fails the workflow task with
 * "Invalid transition in state machine" (temporalio/sdk-rust#705; still so in 1.24.0). So a local
 * lookup is never cancelled: the gate's background retries are normal activities (their cancel is
 * safe, and they are off the gate's path), and a cancelled incident waits for the gate's own
 * lookup to end, an in-memory read or the bounded Slack retries below.
 */
export const LOOKUP_NOT_CANCELLED_PATCH = 'policy-lookup-not-cancelled';

/** Attempts while Slack fails (about 7 s of backoff, or the Retry-Afters Slack asks for); the last one falls back. */
const POLICY_ATTEMPTS = 4;
const lookupOptions = {
  // above the Slack lookup's own deadline (activities/slack/usergroups.ts), so a hung Slack still reaches the fallback
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: POLICY_ATTEMPTS },
} as const;
const { resolveApprovalPolicy } = proxyLocalActivities<EngineActivities>({
  ...lookupOptions,
  // longer waits (backoff, a Retry-After) as workflow timers, not a workflow task held open meanwhile
  localRetryThreshold: '1s',
});
/** The open gate's retries (cancelled when the gate closes, so a normal activity: see LOOKUP_NOT_CANCELLED_PATCH), and every lookup of a new run. */
const { resolveApprovalPolicy: resolveInBackground } = proxyActivities<EngineActivities>(lookupOptions);

/** How often an open gate asks Slack again for a group it could not resolve: from 30 s, doubling, at most every 5 min. */
const RETRY_FIRST_MS = 30_000;
const RETRY_MAX_MS = 5 * 60_000;

export async function resolvePolicy(req: PolicyRequest): Promise<ResolvedPolicy> {
  if (!isPatched(SLACK_FALLBACK_PATCH)) return resolveBeforeFallback(req);
  // new runs: a regular activity (patches.ts NO_LOCAL_ACTIVITIES_PATCH)
  const proxy = isPatched(NO_LOCAL_ACTIVITIES_PATCH) ? resolveInBackground : resolveApprovalPolicy;
  const lookup = () => proxy({ ...req, fallbackFromAttempt: POLICY_ATTEMPTS });
  if (!isPatched(LOOKUP_NOT_CANCELLED_PATCH)) return lookup();
  // A cancelled incident stops where the lookup, cut short, used to stop it: before or right after it.
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) await scope.cancelRequested;
  const resolved = await CancellationScope.nonCancellable(lookup);
  if (scope.consideredCancelled) await scope.cancelRequested;
  return resolved;
}

/** Groups that a later retry may still resolve. */
export function pendingGroups(resolved: Pick<ResolvedPolicy, 'unresolved'>): UnresolvedGroup[] {
  return (resolved.unresolved ?? []).filter((u) => u.retry);
}

/** Puts on the timeline where eligibility came from when Slack could not say. */
export function noteEligibility(incident: Incident, step: string, resolved: ResolvedPolicy): void {
  for (const group of resolved.cached ?? []) {
    incident.timeline.append(
      'approval.eligibility',
      'tourniquet',
      `${step}: eligibility from ${group.ref} membership cached at ${group.cachedAt}, Slack unreachable`,
      { ref: group.ref, members: group.members, cached_at: group.cachedAt, reason: group.reason, evidence: resolved.evidence.name },
    );
  }
  for (const group of resolved.unresolved ?? []) {
    const until = group.retry ? '; nobody from it may decide until Slack answers' : '; nobody from it may decide';
    incident.timeline.append('approval.eligibility', 'tourniquet', `${step}: ${group.ref} unresolved (${group.reason})${until}`, {
      ref: group.ref,
      reason: group.reason,
      retry: group.retry,
    });
  }
}

/**
 * Starts `keepResolving` beside the wait for a decision; the returned stop ends it at once (a
 * lookup in flight included), so a gate decided by others does not wait for Slack.
 */
export function resolveWhileOpen(...args: Parameters<typeof keepResolving>): () => Promise<void> {
  const scope = new CancellationScope();
  const running = scope
    .run(() => keepResolving(...args))
    .catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });
  return async () => {
    scope.cancel();
    await running;
  };
}

/**
 * While the gate is open and some group is unresolved, asks again with backoff. Once every group
 * resolves (from Slack, or a membership another gate has since remembered), the gate's eligible
 * approvers become the full set and people are told who may decide now.
 */
export async function keepResolving(
  incident: Incident,
  notifier: NotificationQueue,
  gate: ApprovalGate,
  req: PolicyRequest,
  record: (name: string, ref: EvidenceRef) => void,
): Promise<void> {
  let waitMs = RETRY_FIRST_MS;
  for (;;) {
    if (await condition(() => gate.status !== 'open', waitMs)) return;
    waitMs = Math.min(waitMs * 2, RETRY_MAX_MS);
    let resolved: ResolvedPolicy;
    try {
      const lookup = isPatched(LOOKUP_NOT_CANCELLED_PATCH) ? resolveInBackground : resolveApprovalPolicy;
      resolved = await lookup({ ...req, fallbackFromAttempt: POLICY_ATTEMPTS });
    } catch (err) {
      // stopped because the gate closed: nothing to report (a timeline entry only, so replay is unaffected)
      if (isCancellation(err)) throw err;
      incident.timeline.append('approval.eligibility', 'tourniquet', `${gate.action.step}: approvers still unresolved: ${messageOf(err)}`);
      continue;
    }
    if (gate.status !== 'open') return;
    if (pendingGroups(resolved).length) continue;
    record(resolved.evidence.name, resolved.evidence);
    noteEligibility(incident, gate.action.step, resolved);
    gate.policy.approvers = resolved.policy.approvers;
    incident.timeline.append(
      'approval.eligibility',
      'tourniquet',
      `${gate.action.step}: eligible approvers resolved: ${gate.policy.approvers.join(', ')}`,
      {
        gateId: gate.id,
        eligible: gate.policy.approvers,
      },
    );
    if (gate.possibleApprovers < gate.policy.quorum) {
      gate.close(
        'denied',
        Date.now(),
        `quorum unreachable: policy ${gate.policy.name} needs ${gate.policy.quorum} approver(s) besides the requester and has ${gate.possibleApprovers}`,
      );
    } else {
      notifier.send('approval.reminder', `approvers resolved: ${gate.action.step} awaits approval`, {
        gate: gate.view(),
        ...(gate.policy.channel ? { channel: gate.policy.channel } : {}),
      });
    }
    return;
  }
}
