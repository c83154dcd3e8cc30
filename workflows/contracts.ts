/**
 * What the engine expects of activities, as types only: `activities/` implements these, and the
 * workflow code proxies them without importing any activity code.
 */
import type { GateView } from './approval-gate';
import type { EvidenceRef } from './evidence-ledger';
import type { IncidentState } from './incident-state';
import type { ApprovalPolicy, IncidentMode } from './request';
import type { AlertResolution } from './alert-resolution';
import type { TrustSnapshot } from './signatures/trust';

export interface IncidentHeader {
  id: string;
  title: string;
  playbook: string;
  mode: IncidentMode;
  requester: string;
  state: IncidentState;
  /** the incident's alert counts, when it has alerts: numbers only, so every notification stays small */
  alerts?: { distinct: number; total: number; firing: number; resolved: number; exact: boolean };
  resolution?: AlertResolution;
}

export type NotificationKind =
  | 'incident.started'
  | 'approval.requested'
  | 'approval.vote'
  | 'approval.refused'
  | 'approval.reminder'
  | 'approval.escalated'
  | 'approval.closed'
  | 'action.started'
  | 'incident.contained'
  | 'incident.update'
  | 'incident.finished'
  /** every alert resolved (or one fires again) while a gate is open: its request shows it */
  | 'alerts.resolution';

/**
 * What notifiers left behind for later notifications to find, e.g. `slack.thread` → the incident's
 * thread, `slack.gate.g1` → the approval message to update in place. Kept in workflow state, so a
 * worker restart does not lose them.
 */
export type NotificationRefs = Record<string, string>;

export interface IncidentNotification {
  /** position in this incident's notification queue: with the incident id, a key for deduplicating retries */
  seq: number;
  kind: NotificationKind;
  incident: IncidentHeader;
  summary: string;
  refs: NotificationRefs;
  gate?: GateView;
  /** for approval requests: the evidence so far, by name and short hash */
  evidence?: { name: string; sha256: string }[];
  /** for escalations: who else to bring in, and where */
  escalateTo?: string[];
  escalationChannel?: string;
  /** the gate policy's channel, for gate events */
  channel?: string;
  /** for refusals: the stable code (SelfApproval, ApproverNotEligible…) */
  refusal?: { code: string; actor: string };
  /** for incident.update: commands the incident takes now, offered as buttons where a notifier can */
  offer?: CommandOffer[];
  /**
   * whether the incident takes commands as this is sent: false means buttons offered earlier are
   * stale (the grant revoked or expired), and notifiers that showed them withdraw them
   */
  commandsOpen?: boolean;
  /** for incident.finished: the containment durations, for metrics */
  durations?: Record<string, number | undefined>;
}

/** A command of the incident's playbook offered to people, e.g. "Revoke access now" on a grant. */
export interface CommandOffer {
  command: string;
  label: string;
  style?: 'primary' | 'danger';
}

export interface PolicyRequest {
  incidentId: string;
  playbook: string;
  step: string;
  /** the request's or the step's named policy; the playbook default otherwise */
  policy?: string;
  /**
   * from this attempt on, a Slack user group Slack cannot resolve falls back to its last known
   * membership, or is left unresolved (nobody from it eligible) instead of failing; absent in
   * requests from before the fallback existed, which never fall back
   */
  fallbackFromAttempt?: number;
}

/** A Slack user group's members as a gate opened: from Slack, or remembered while Slack was unreachable. */
export interface GroupResolution {
  ref: string;
  members: string[];
  /** 'cache' when Slack could not answer and the last known membership was used; absent when Slack answered */
  source?: 'cache';
  /** when Slack last gave that membership */
  cachedAt?: string;
  /** why Slack was not asked successfully */
  reason?: string;
}

/** A Slack user group nobody could resolve: nobody from it may decide (the gate fails closed). */
export interface UnresolvedGroup {
  ref: string;
  reason: string;
  /** a retry may succeed (Slack unreachable), unlike a refusal Slack will repeat (no such group) */
  retry: boolean;
}

export interface ResolvedPolicy {
  policy: ApprovalPolicy;
  /** the resolved approver set (groups expanded, e.g. from Slack user groups), kept as evidence */
  evidence: EvidenceRef;
  /** the keys that may sign decisions, snapshotted now (absent in histories from before signing) */
  trust?: TrustSnapshot;
  /** groups whose last known membership stood in for Slack (absent when Slack answered for all) */
  cached?: GroupResolution[];
  /** groups not resolved at all (absent when every group was) */
  unresolved?: UnresolvedGroup[];
}

/** The activities the engine itself calls, whatever the playbook. */
export interface EngineActivities {
  resolveApprovalPolicy(req: PolicyRequest): Promise<ResolvedPolicy>;
  /** returns new references to remember (see NotificationRefs) */
  notify(event: IncidentNotification): Promise<NotificationRefs>;
  /** the events queued meanwhile, delivered in order in one activity; returns every reference they left */
  notifyBatch(batch: NotificationBatch): Promise<NotificationRefs>;
  /**
   * One quick try at the events, within `batch.budgetMs`, as a local activity (the run's last news):
   * never throws, says what it delivered so that a notifyBatch delivers only the rest.
   */
  deliverNotices(batch: NotificationBatch): Promise<NoticeOutcome>;
}

/**
 * Notifications queued while the previous batch was out (or sent in the same workflow task), in
 * order. Each event is delivered with `refs` plus what the events before it in the batch returned,
 * as if sent one by one.
 */
export interface NotificationBatch {
  refs: NotificationRefs;
  events: Omit<IncidentNotification, 'refs'>[];
  /** per event (by seq), the notifiers that already delivered it and what they returned: not called again */
  delivered?: NoticesDelivered;
  /** for a quick try (riders, deliverNotices): how long delivery may take before it hands the rest back */
  budgetMs?: number;
  /**
   * How the quick try before this batch failed: the batch's first attempt fails the same way without
   * calling anyone, so Temporal retries as it would have (Slack's Retry-After, no retry when refused).
   */
  failure?: NoticeFailure;
}

/** A notifier's ApplicationFailure, as data. */
export interface NoticeFailure {
  message: string;
  type?: string;
  nonRetryable?: boolean;
  nextRetryDelay?: string | number;
}

/** seq → notifier name → the references it returned */
export type NoticesDelivered = Record<number, Record<string, NotificationRefs>>;

/** What a quick try delivered: the events before `complete` reached every notifier; the rest go in a notifyBatch. */
export interface NoticeOutcome {
  /** the batch's refs plus what every delivery returned */
  refs: NotificationRefs;
  delivered: NoticesDelivered;
  /** how many of the batch's events, from the first, reached every notifier */
  complete: number;
  /** why it stopped short */
  error?: string;
  /** when a notifier failed with an ApplicationFailure: it, for the notifyBatch that takes over */
  failure?: NoticeFailure;
}

/**
 * A step activity's input may carry the notices of the workflow task that scheduled it (`riders`):
 * the worker delivers them after the step succeeded (activities/notify/riders.ts) and answers
 * `{ [NOTICES_FIELD]: outcome, result }`, which saves the workflow a notifyBatch and the workflow
 * task its completion would cost.
 */
export const NOTICES_FIELD = 'tourniquetNotices';

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

/** Input of an undo activity: it takes back only what this incident did, so it runs without a gate. */
export interface UndoRequest<I> {
  incidentId: string;
  action: string;
  target: string;
  args: I;
  dryRun: boolean;
  reason: string;
  requestedBy: string;
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
export type UndoActivity<I = any> = (req: UndoRequest<I>) => Promise<ActionResult>;
export type VerifyActivity<I = any> = (req: VerifyRequest<I>) => Promise<VerifyResult>;
