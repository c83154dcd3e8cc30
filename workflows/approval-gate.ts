/**
 * Approval gates: who may decide, what they decide on, and when a gate closes. Pure logic, so the
 * same rules serve the update validator (refuse before anything is written to history) and the
 * handler (apply), and can be unit-tested without a server.
 */
import type { ApprovalPolicy, Decision } from './request';
import { decisionStatement } from './signatures/statements';
import { authenticate, type Signer, type TrustSnapshot } from './signatures/trust';

/** `withdrawn`: every alert of the incident was resolved on a route that withdraws requests then (alert-lifecycle.ts) */
export type GateStatus = 'open' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'withdrawn';

export const REFUSAL_CODES = [
  'InvalidDecision',
  'GateNotFound',
  'GateClosed',
  'DecisionExpired',
  'DigestMismatch',
  'ApproverNotEligible',
  'SelfApproval',
  'AlreadyVoted',
  'ReasonRequired',
  'Unauthenticated',
  'Replayed',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface Vote {
  approver: string;
  decision: 'approve' | 'deny';
  reason?: string;
  via: string;
  at: string;
  /** who vouched for the vote, and with which key; absent on votes recorded before signing existed */
  signer?: Signer;
  /** what was signed, so anyone with the public keys can check it offline (decisionStatement) */
  signature?: string;
  validUntil?: string;
  nonce?: string;
}

export interface GateAction {
  step: string;
  action: string;
  target: string;
  args: unknown;
  risk: 'low' | 'medium' | 'high' | 'critical';
  digest: string;
}

export interface GateView extends GateAction {
  id: string;
  policy: string;
  requester: string;
  eligible: string[];
  quorum: number;
  requireReasonOnApprove: boolean;
  /** how decisions on this gate are proven; absent on gates opened before signing existed */
  authentication?: TrustSnapshot['mode'];
  /** the incident run's start time: part of what a decision signs (with the incident and gate ids) */
  runStartedAt?: string;
  /**
   * identity → Slack user, from the gate's key snapshot, for its eligible approvers and requester:
   * the mapping under which the Slack gateway's key may vouch for a click (kept so an exported
   * postmortem can be re-verified offline)
   */
  slackUsers?: Record<string, string>;
  votes: Vote[];
  approvalsRemaining: number;
  status: GateStatus;
  opened_at: string;
  deadline: string;
  closed_at?: string;
  closed_reason?: string;
}

export interface DecideResult {
  gateId: string;
  status: GateStatus;
  approvalsRemaining: number;
}

export class ApprovalGate {
  readonly votes: Vote[] = [];
  status: GateStatus = 'open';
  closedAt?: number;
  closedReason?: string;

  private readonly nonces = new Set<string>();

  constructor(
    readonly id: string,
    readonly action: GateAction,
    readonly policy: ApprovalPolicy,
    readonly requester: string,
    readonly openedAt: number,
    /** the key snapshot taken when the gate opened; absent on gates opened before signing existed */
    readonly trust?: TrustSnapshot,
    readonly incidentId = '',
    /** the run's start (workflowInfo().runStartTime), which signatures cover */
    readonly runStartedAt = '',
  ) {}

  /** Who signed this decision, or why nobody trusted did. Gates without a snapshot predate signing. */
  authenticate(d: Decision, now: number | undefined): { signer?: Signer; refusal?: Refusal } {
    if (!this.trust) return {};
    const statement = decisionStatement({ ...d, incidentId: this.incidentId, runStartedAt: this.runStartedAt });
    const auth = authenticate(
      this.trust,
      { identity: d.approver, via: d.via, statement, signature: d.signature, validUntil: d.validUntil },
      now,
    );
    return auth.ok ? { signer: auth.signer } : { refusal: { code: 'Unauthenticated', message: auth.message } };
  }

  get deadline(): number {
    return this.openedAt + this.policy.timeoutMs;
  }

  get approvals(): number {
    return this.votes.filter((v) => v.decision === 'approve').length;
  }

  get approvalsRemaining(): number {
    return Math.max(0, this.policy.quorum - this.approvals);
  }

  /** Eligible approvers other than the requester: a quorum larger than this can never be met. */
  get possibleApprovers(): number {
    return this.policy.approvers.filter((a) => a !== this.requester).length;
  }

  /** Why this decision must not be applied, or undefined when it may. */
  /**
   * `now` undefined: the handler's re-check, without the time rules (validity, expiry) the
   * validator already applied. Time read in an update handler is not guaranteed to be the same
   * when the history is replayed, and a different answer there is a nondeterminism error.
   */
  check(d: Decision, now: number | undefined): Refusal | undefined {
    if (this.status !== 'open') {
      return { code: 'GateClosed', message: `gate ${this.id} is already ${this.status}` };
    }
    if (now !== undefined && d.validUntil && now > Date.parse(d.validUntil)) {
      return {
        code: 'DecisionExpired',
        message: `the decision reached the engine after its validity ended (${d.validUntil}); it was not applied — decide again`,
      };
    }
    if (d.digest !== this.action.digest) {
      return {
        code: 'DigestMismatch',
        message: `the decision is for action digest ${d.digest.slice(0, 12)}…, but gate ${this.id} is for ${this.action.digest.slice(0, 12)}… (${this.action.action} on ${this.action.target})`,
      };
    }
    const auth = this.authenticate(d, now);
    if (auth.refusal) return auth.refusal;
    if (d.nonce && this.nonces.has(d.nonce)) {
      return { code: 'Replayed', message: `this decision (nonce ${d.nonce}) was already received by gate ${this.id}` };
    }
    if (!this.policy.approvers.includes(d.approver)) {
      return {
        code: 'ApproverNotEligible',
        message: `${d.approver} is not an eligible approver for gate ${this.id} (policy ${this.policy.name})`,
      };
    }
    if (d.decision === 'approve' && d.approver === this.requester) {
      return { code: 'SelfApproval', message: `${d.approver} requested this incident and cannot approve their own request` };
    }
    if (this.votes.some((v) => v.approver === d.approver)) {
      return { code: 'AlreadyVoted', message: `${d.approver} has already voted on gate ${this.id}` };
    }
    const needsReason = d.decision === 'deny' || this.policy.requireReasonOnApprove;
    if (needsReason && !d.reason) {
      return { code: 'ReasonRequired', message: `a reason is required to ${d.decision} gate ${this.id}` };
    }
    return undefined;
  }

  /**
   * A vote that reaches the gate at or after its deadline, before the deadline timer has closed it
   * (a worker back after the deadline sees both in one task). Checked by the validator only, so
   * histories recorded before this rule replay unchanged.
   */
  pastDeadline(now: number): Refusal | undefined {
    if (this.status !== 'open' || now < this.deadline) return undefined;
    return {
      code: 'GateClosed',
      message: `gate ${this.id} passed its deadline (${new Date(this.deadline).toISOString()}): denied by default`,
    };
  }

  /** Applies a checked decision. A single deny vetoes; approvals close the gate at quorum. */
  apply(d: Decision, now: number): DecideResult {
    const vote: Vote = { approver: d.approver, decision: d.decision, via: d.via, at: new Date(now).toISOString() };
    if (d.reason) vote.reason = d.reason;
    if (this.trust) {
      const { signer } = this.authenticate(d, undefined);
      if (signer) vote.signer = signer;
      if (d.signature) vote.signature = d.signature;
      if (d.validUntil) vote.validUntil = d.validUntil;
    }
    if (d.nonce) {
      this.nonces.add(d.nonce);
      if (this.trust) vote.nonce = d.nonce;
    }
    this.votes.push(vote);
    if (d.decision === 'deny') this.close('denied', now, `denied by ${d.approver}: ${d.reason ?? ''}`.trim());
    else if (this.approvalsRemaining === 0) {
      this.close(
        'approved',
        now,
        `approved by ${this.votes
          .filter((v) => v.decision === 'approve')
          .map((v) => v.approver)
          .join(', ')}`,
      );
    }
    return { gateId: this.id, status: this.status, approvalsRemaining: this.approvalsRemaining };
  }

  close(status: Exclude<GateStatus, 'open'>, now: number, reason: string): void {
    if (this.status !== 'open') return;
    this.status = status;
    this.closedAt = now;
    this.closedReason = reason;
  }

  private slackUsers(trust: TrustSnapshot): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of [...this.policy.approvers, this.requester]) {
      if (Object.hasOwn(trust.slack, id)) out[id] = trust.slack[id]!;
    }
    return out;
  }

  view(): GateView {
    const view: GateView = {
      id: this.id,
      ...this.action,
      policy: this.policy.name,
      requester: this.requester,
      eligible: [...this.policy.approvers],
      quorum: this.policy.quorum,
      requireReasonOnApprove: this.policy.requireReasonOnApprove,
      ...(this.trust ? { authentication: this.trust.mode, slackUsers: this.slackUsers(this.trust), runStartedAt: this.runStartedAt } : {}),
      votes: [...this.votes],
      approvalsRemaining: this.approvalsRemaining,
      status: this.status,
      opened_at: new Date(this.openedAt).toISOString(),
      deadline: new Date(this.deadline).toISOString(),
    };
    if (this.closedAt !== undefined) view.closed_at = new Date(this.closedAt).toISOString();
    if (this.closedReason !== undefined) view.closed_reason = this.closedReason;
    return view;
  }
}
