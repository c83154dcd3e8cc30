/**
 * The exact text a person (or a front door) signs for a decision or a command. Canonical JSON of
 * every field that gives the decision its meaning, so a signature cannot be moved to another
 * incident, gate, action, verdict, person, reason, validity window or delivery.
 */
import { canonicalJson, sha256Hex } from '../canonical';

export interface DecisionClaim {
  incidentId: string;
  gateId: string;
  /**
   * when this run of the incident started (ISO): alert incidents reuse their id for a later run,
   * whose `g1` may be for the same action; this ties a signature to one run. (Not the gate's own
   * opening time: read after a local activity, that can differ when the history is replayed.)
   */
  runStartedAt?: string | undefined;
  digest: string;
  decision: 'approve' | 'deny';
  approver: string;
  reason?: string | undefined;
  validUntil?: string | undefined;
  nonce?: string | undefined;
  via: string;
}

export interface CommandClaim {
  incidentId: string;
  command: string;
  by: string;
  args: Record<string, unknown>;
  reason?: string | undefined;
  validUntil?: string | undefined;
  nonce?: string | undefined;
  via: string;
}

const hashOf = (text: string | undefined) => sha256Hex(text ?? '');

export function decisionStatement(c: DecisionClaim): string {
  return `tourniquet-decision-v1\n${canonicalJson({
    incidentId: c.incidentId,
    gateId: c.gateId,
    runStartedAt: c.runStartedAt ?? '',
    digest: c.digest,
    decision: c.decision,
    approver: c.approver,
    reasonSha256: hashOf(c.reason),
    validUntil: c.validUntil ?? '',
    nonce: c.nonce ?? '',
    via: c.via,
  })}\n`;
}

export function commandStatement(c: CommandClaim): string {
  return `tourniquet-command-v1\n${canonicalJson({
    incidentId: c.incidentId,
    command: c.command,
    by: c.by,
    argsSha256: sha256Hex(canonicalJson(c.args ?? {})),
    reasonSha256: hashOf(c.reason),
    validUntil: c.validUntil ?? '',
    nonce: c.nonce ?? '',
    via: c.via,
  })}\n`;
}
