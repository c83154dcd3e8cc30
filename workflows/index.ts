/**
 * The engine's public surface for playbooks and clients. The workflow itself (./incident) is
 * imported only by the worker's bundle entry, so client code never loads workflow runtime.
 */
export { definePlaybook, type Playbook, type PlaybookContext, type PlaybookRegistry } from './playbook';
export { lazy } from './lazy';
export * from './messages';
export {
  COMMAND_REFUSAL_CODES,
  type CommandDefinition,
  type CommandInput,
  type CommandRefusalCode,
  type CommandResult,
  type IncidentCommand,
} from './commands';
export * from './contracts';
export * from './request';
export type { IncidentStatus, IncidentState } from './incident-state';
export { INCIDENT_STATES, FINAL_STATES } from './incident-state';
export type { GateView, DecideResult, RefusalCode, Vote } from './approval-gate';
export { REFUSAL_CODES } from './approval-gate';
export { TIMELINE_PAGE_BYTES, type TimelineEvent, type TimelineKind } from './timeline';
export * from './alert-ledger-contract';
export type { ClockView } from './containment-clock';
export { verifyChain, type LedgerEntry, type EvidenceRef } from './evidence-ledger';
export { actionDigest, canonicalJson, sha256Hex } from './canonical';
export * from './errors';
export { FAILURE_TYPES, type FailureType } from './failure-types';
export { parseDuration } from './durations';
export * from './signatures/sshsig';
export { decisionStatement, commandStatement, type DecisionClaim, type CommandClaim } from './signatures/statements';
export { MAX_VALIDITY_MS, type Signer, type TrustSnapshot } from './signatures/trust';
export { GATE_MEMO, type GateMemo } from './gate-memo';
export { CAUSE_MEMO, requestDigest, type RunCause } from './run-cause';
export type { AlertResolution } from './alert-resolution';
export { deliveryRecordedSignal, type DeliveryReceipt } from './delivery-receipt';
export { type CancelInput, type CancelRequest as CancelRecord } from './cancel';
