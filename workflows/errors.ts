/** The engine's own failures, built once (their types: failure-types.ts). */
import { ApplicationFailure } from '@temporalio/workflow';
import type { GateView } from './approval-gate';
import { FAILURE_TYPES } from './failure-types';

/** A gate closed without approval (denied, expired, or quorum unreachable). Nothing was done. */
export function approvalDenied(gate: GateView): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.ApprovalDenied,
    message: `${gate.step}: ${gate.status} (${gate.closed_reason ?? 'no decision'})`,
    nonRetryable: true,
    details: [{ gateId: gate.id, status: gate.status }],
  });
}

export function verificationFailed(name: string, summary: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`verification "${name}" failed: ${summary}`, FAILURE_TYPES.VerificationFailed);
}
