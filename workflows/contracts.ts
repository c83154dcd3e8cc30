/**
 * What the engine expects of activities, as types only: `activities/` implements these, and the
 * workflow code proxies them without importing any activity code.
 */
import type { GateView } from './approval-gate';
import type { EvidenceRef } from './evidence-ledger';
import type { IncidentState } from './incident-state';
import type { ApprovalPolicy, IncidentMode } from './request';

export interface IncidentHeader {
  id: string;
  title: string;
  playbook: string;
  mode: IncidentMode;
  requester: string;
  state: IncidentState;
}

export type NotificationKind =
  | 'incident.started'
  | 'approval.requested'
  | 'approval.reminder'
  | 'approval.escalated'
  | 'approval.closed'
  | 'action.started'
  | 'incident.contained'
  | 'incident.finished';

export interface IncidentNotification {
  kind: NotificationKind;
  incident: IncidentHeader;
  summary: string;
  gate?: GateView;
  /** for escalations: who else to bring in */
  escalateTo?: string[];
}

export interface PolicyRequest {
  playbook: string;
  step: string;
  /** the request's or the step's named policy; the playbook default otherwise */
  policy?: string;
}

/** The activities the engine itself calls, whatever the playbook. */
export interface EngineActivities {
  resolveApprovalPolicy(req: PolicyRequest): Promise<ApprovalPolicy>;
  notify(event: IncidentNotification): Promise<void>;
}

/** Input of an evidence-collecting activity: it stores the artifact itself and returns the reference. */
export interface EvidenceRequest<I> {
  incidentId: string;
  name: string;
  mode: IncidentMode;
  input: I;
}

/** The proof a destructive activity receives: which gate approved exactly which action. */
export interface ApprovalProof {
  gateId: string;
  digest: string;
  approvers: string[];
  decidedAt: string;
}

export interface ApprovedAction<I> {
  incidentId: string;
  action: string;
  target: string;
  args: I;
  /** drill mode: real reads, server-side dry runs, writes recorded as "would do" */
  dryRun: boolean;
  approval: ApprovalProof;
}

export interface ActionResult {
  summary: string;
  changed: boolean;
  details?: Record<string, unknown>;
}

export interface VerifyRequest<I> {
  incidentId: string;
  mode: IncidentMode;
  input: I;
}

export interface VerifyResult {
  ok: boolean;
  summary: string;
  details?: Record<string, unknown>;
}

export type EvidenceActivity<I = any> = (req: EvidenceRequest<I>) => Promise<EvidenceRef>;
export type DestructiveActivity<I = any> = (req: ApprovedAction<I>) => Promise<ActionResult>;
export type VerifyActivity<I = any> = (req: VerifyRequest<I>) => Promise<VerifyResult>;
