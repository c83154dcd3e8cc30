/**
 * Failure types with stable names, matched by retry policies, clients and tests.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { GateView } from './approval-gate';

export const ApprovalDeniedType = 'ApprovalDenied';
export const VerificationFailedType = 'VerificationFailed';
export const InvalidIncidentRequestType = 'InvalidIncidentRequest';

/** A gate closed without approval (denied, expired, or quorum unreachable). Nothing was done. */
export function approvalDenied(gate: GateView): ApplicationFailure {
  return ApplicationFailure.create({
    type: ApprovalDeniedType,
    message: `${gate.step}: ${gate.status} (${gate.closed_reason ?? 'no decision'})`,
    nonRetryable: true,
    details: [{ gateId: gate.id, status: gate.status }],
  });
}

export function verificationFailed(name: string, summary: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`verification "${name}" failed: ${summary}`, VerificationFailedType);
}
