/**
 * Opens a gate and waits for it to close: by votes (the decide update), by the deadline (default
 * deny), or by cancellation. Reminders and escalation fire at their points on the way.
 */
import { condition, workflowInfo } from '@temporalio/workflow';
import { ApprovalGate, type GateAction } from './approval-gate';
import type { UnresolvedGroup } from './contracts';
import type { Incident } from './incident-state';
import type { NotificationQueue } from './notifications';
import { isPatched } from './patches';
import type { ApprovalPolicy } from './request';
import type { TrustSnapshot } from './signatures/trust';

export function channelOf(policy: ApprovalPolicy): { channel?: string } {
  return policy.channel ? { channel: policy.channel } : {};
}

/**
 * The evidence recorded by the time the gate opened, by name and short hash: what the approval
 * request showed. Sent with every update of that request too, since an update replaces the whole
 * message and would otherwise drop it.
 */
export function evidenceShown(incident: Incident, gate: ApprovalGate): { evidence: { name: string; sha256: string }[] } {
  const evidence = incident.ledger
    .list()
    .filter((e) => Date.parse(e.recorded_at) <= gate.openedAt)
    .map((e) => ({ name: e.name, sha256: e.sha256.slice(0, 12) }));
  return { evidence };
}

/** Before this patch the approval's closing notice was scheduled ahead of the approved action. */
export const ACTION_FIRST_PATCH = 'action-before-approval-notice';

interface WaitPoint {
  at: number;
  kind: 'reminder' | 'escalation';
}

export function openGate(
  incident: Incident,
  notifier: NotificationQueue,
  action: GateAction,
  policy: ApprovalPolicy,
  trust?: TrustSnapshot,
  unresolved: UnresolvedGroup[] = [],
): ApprovalGate {
  const now = Date.now();
  const gate = new ApprovalGate(
    `g${incident.gates.length + 1}`,
    action,
    policy,
    incident.request.requester,
    now,
    trust,
    incident.id,
    workflowInfo().runStartTime.toISOString(),
  );
  incident.gates.push(gate);
  if (trust) incident.trust = trust;
  incident.clock.mark('approval_requested_at', now);
  incident.setState('awaiting-approval');
  const unauthenticated = trust?.mode === 'unauthenticated' ? ' (decisions unauthenticated)' : '';
  incident.timeline.append('approval.requested', 'tourniquet', `approval requested: ${action.step}${unauthenticated}`, {
    gateId: gate.id,
    action: action.action,
    target: action.target,
    digest: action.digest,
    risk: action.risk,
    policy: policy.name,
    eligible: policy.approvers,
    quorum: policy.quorum,
    deadline: new Date(gate.deadline).toISOString(),
    ...(trust ? { authentication: trust.mode } : {}),
  });
  // A group Slack may still resolve keeps the gate open (closed to that group) until it does or the deadline passes.
  if (gate.possibleApprovers < policy.quorum && !unresolved.some((u) => u.retry)) {
    const why = unresolved.length ? ` (unresolved: ${unresolved.map((u) => `${u.ref}: ${u.reason}`).join('; ')})` : '';
    gate.close(
      'denied',
      now,
      `quorum unreachable: policy ${policy.name} needs ${policy.quorum} approver(s) besides the requester and has ${gate.possibleApprovers}${why}`,
    );
  } else {
    notifier.send('approval.requested', `approval needed: ${action.step}`, {
      gate: gate.view(),
      ...evidenceShown(incident, gate),
      ...channelOf(policy),
    });
    // A second gate opening beside the first changes no state: the memo must stop naming just one.
    incident.syncGateMemo();
  }
  return gate;
}

/**
 * `deferApproved`: when the gate is approved, hand its closing notice back instead of sending it,
 * so the caller schedules the action first and the notice goes out beside it (see steps.ts). The
 * timeline records the closure here either way.
 */
export async function waitForDecision(
  incident: Incident,
  notifier: NotificationQueue,
  gate: ApprovalGate,
  deferApproved = false,
): Promise<(() => void) | undefined> {
  const { policy } = gate;
  const points: WaitPoint[] = policy.remindersMs.map((ms): WaitPoint => ({ at: gate.openedAt + ms, kind: 'reminder' }));
  if (policy.escalation) points.push({ at: gate.openedAt + policy.escalation.afterMs, kind: 'escalation' });
  const due = points.filter((p) => p.at < gate.deadline).sort((a, b) => a.at - b.at);

  while (gate.status === 'open') {
    const next = due[0]?.at ?? gate.deadline;
    const wait = next - Date.now();
    if (wait > 0) await condition(() => gate.status !== 'open', wait);
    if (gate.status !== 'open') break;
    if (Date.now() >= gate.deadline) {
      gate.close('expired', Date.now(), `no decision by ${new Date(gate.deadline).toISOString()}: denied by default`);
      break;
    }
    const point = due.shift();
    if (point?.kind === 'reminder') {
      incident.timeline.append('approval.reminder', 'tourniquet', `reminder: ${gate.action.step} awaits approval`, {
        gateId: gate.id,
        approvalsRemaining: gate.approvalsRemaining,
      });
      notifier.send('approval.reminder', `still waiting for approval: ${gate.action.step}`, { gate: gate.view(), ...channelOf(policy) });
    } else if (point?.kind === 'escalation' && policy.escalation) {
      incident.timeline.append('approval.escalated', 'tourniquet', `escalated: ${gate.action.step}`, {
        gateId: gate.id,
        to: policy.escalation.notify,
      });
      notifier.send('approval.escalated', `escalated: ${gate.action.step} awaits approval`, {
        gate: gate.view(),
        escalateTo: policy.escalation.notify,
        ...(policy.escalation.channel ? { escalationChannel: policy.escalation.channel } : {}),
        ...channelOf(policy),
      });
    }
  }
  return recordClosure(incident, notifier, gate, deferApproved);
}

function recordClosure(
  incident: Incident,
  notifier: NotificationQueue,
  gate: ApprovalGate,
  deferApproved: boolean,
): (() => void) | undefined {
  const view = gate.view();
  incident.timeline.append('approval.closed', 'tourniquet', `${gate.action.step}: ${gate.status}`, {
    gateId: gate.id,
    status: gate.status,
    reason: gate.closedReason,
    approvers: gate.votes.filter((v) => v.decision === 'approve').map((v) => v.approver),
  });
  const notice = () =>
    notifier.send('approval.closed', `${gate.action.step}: ${gate.status}`, {
      gate: view,
      ...evidenceShown(incident, gate),
      ...channelOf(gate.policy),
    });
  // Histories recorded before this scheduled the notice ahead of the action: they replay that way.
  if (deferApproved && gate.status === 'approved' && isPatched(ACTION_FIRST_PATCH)) return notice;
  notice();
  if (gate.status !== 'approved') {
    incident.setState(incident.restingState);
    incident.syncGateMemo();
  }
  return undefined;
}
