/**
 * Deciding on a gate, with the promise that matters to the person clicking: the decision is
 * applied, or they are told it was not. Never "maybe later".
 *
 * Each decision carries `validUntil`. If no worker picks the update up in time, we stop waiting and
 * report it as not applied; should the server still deliver it later, the workflow's validator sees
 * that its validity has passed and refuses it, so the report stays true. Refusals are then audited
 * on the timeline by signal, which the server stores even while no worker runs.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import {
  GATE_MEMO,
  decideUpdate,
  decisionStatement,
  refusalSignal,
  statusQuery,
  type DecideResult,
  type DecisionInput,
  type GateMemo,
  type GateView,
  type RefusalCode,
} from '../workflows';
import { isTimeout } from './engine';
import { findSigner, type StatementSigner } from './signing';
import { HISTORY_LIMITS, redactForHistory } from '../redaction';

export { isTimeout } from './engine';

export interface DecisionRequest {
  incidentId: string;
  decision: 'approve' | 'deny';
  approver: string;
  reason?: string;
  via: string;
  /** defaults to the incident's only open gate */
  gateId?: string;
  /** the digest the person was shown; looked up from the gate when absent (CLI) */
  digest?: string;
  /** the incident run's start, as the gate shows it (a Slack button carries it); looked up when absent */
  runStartedAt?: string;
  /** how long the decision stays valid if the engine is slow to take it */
  validForMs?: number;
  /**
   * unique per decision; the gate takes each at most once. Front doors derive it from the request
   * (a Slack click), so a replayed request is refused; random otherwise
   */
  nonce?: string;
  /** signs the decision as `approver`; by default the key findSigner() finds for them; null: unsigned (front doors without a key) */
  signer?: StatementSigner | null;
}

export type DecisionOutcome =
  | { applied: true; gate: Pick<GateView, 'id' | 'step' | 'action' | 'target' | 'digest' | 'runStartedAt'>; result: DecideResult }
  | { applied: false; code: RefusalCode | 'EngineUnavailable' | 'NoOpenGate' | 'AmbiguousGate' | 'NoKey'; message: string };

export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

const DEFAULT_VALID_FOR_MS = 15_000;
/** time for an acceptance stamped just before validUntil to reach us */
const GRACE_MS = 5_000;

/**
 * The gate a decision without one is for, from the incident's memo (workflows/gate-memo.ts):
 * DescribeWorkflowExecution is answered by the server alone, where a status query waits for a
 * worker's workflow task. Undefined when the memo does not name exactly the gate asked for (none or
 * several open, an incident older than the memo, a memo this client cannot read): then we ask.
 */
async function gateFromMemo(client: Client, req: DecisionRequest, deadline: number): Promise<GateMemo | undefined> {
  try {
    const described = await client.connection.withDeadline(deadline, () => client.workflow.getHandle(req.incidentId).describe());
    if (described.status.name !== 'RUNNING') return undefined;
    const gate = described.memo?.[GATE_MEMO] as Record<keyof GateMemo, unknown> | null | undefined;
    const fields = ['id', 'digest', 'runStartedAt', 'step', 'action', 'target'] as const;
    if (!gate || fields.some((f) => typeof gate[f] !== 'string')) return undefined;
    const memo = Object.fromEntries(fields.map((f) => [f, gate[f]])) as unknown as GateMemo;
    if (req.gateId && req.gateId !== memo.id) return undefined;
    if (req.runStartedAt && req.runStartedAt !== memo.runStartedAt) return undefined;
    return memo;
  } catch {
    // Whatever went wrong (no such incident, no answer) the query path reports in its own words.
    return undefined;
  }
}

async function findGate(client: Client, req: DecisionRequest, deadline: number) {
  const handle = client.workflow.getHandle(req.incidentId);
  const status = await client.connection.withDeadline(deadline, () => handle.query(statusQuery));
  const gates = req.gateId ? status.gates.filter((g) => g.id === req.gateId) : status.gates.filter((g) => g.status === 'open');
  return { gates, status };
}

export async function decide(client: Client, req: DecisionRequest): Promise<DecisionOutcome> {
  const handle = client.workflow.getHandle(req.incidentId);
  const validForMs = req.validForMs ?? DEFAULT_VALID_FOR_MS;
  const validUntil = Date.now() + validForMs;
  const signer = req.signer === undefined ? findSigner(req.approver) : req.signer;

  let gate: Pick<GateView, 'id' | 'step' | 'action' | 'target' | 'digest' | 'runStartedAt'> | undefined;
  if (req.gateId && req.digest && req.runStartedAt) {
    gate = { id: req.gateId, digest: req.digest, runStartedAt: req.runStartedAt, step: '', action: '', target: '' };
  } else {
    gate = await gateFromMemo(client, req, validUntil);
  }
  if (!gate) {
    let found;
    try {
      found = await findGate(client, req, validUntil);
    } catch (err) {
      if (!isTimeout(err)) throw err;
      const message = `the engine did not answer within ${Math.round(validForMs / 1000)}s (is a worker running?); the decision was NOT applied — try again`;
      return { applied: false, code: 'EngineUnavailable', message };
    }
    if (found.gates.length === 0) {
      const message = req.gateId
        ? `incident ${req.incidentId} has no gate ${req.gateId}`
        : `incident ${req.incidentId} (${found.status.state}) has no open gate`;
      return { applied: false, code: req.gateId ? 'GateNotFound' : 'NoOpenGate', message };
    }
    if (found.gates.length > 1) {
      return {
        applied: false,
        code: 'AmbiguousGate',
        message: `incident ${req.incidentId} has ${found.gates.length} open gates (${found.gates.map((g) => g.id).join(', ')}): name one with --gate`,
      };
    }
    gate = found.gates[0]!;
    if (found.gates[0]!.status !== 'open') {
      const message = `gate ${gate.id} of incident ${req.incidentId} is already ${found.gates[0]!.status}`;
      return { applied: false, code: 'GateClosed', message };
    }
  }

  const input: DecisionInput = {
    gateId: gate.id,
    digest: req.digest ?? gate.digest,
    decision: req.decision,
    approver: req.approver,
    via: req.via,
    validUntil: new Date(validUntil).toISOString(),
    nonce: req.nonce ?? newNonce(),
    // Redacted before it is sent and signed: history keeps a pasted key only as its fingerprint.
    // Trimmed as the workflow's schema trims it: the signed reason is the recorded one.
    ...(req.reason?.trim() ? { reason: (await redactForHistory(req.reason.trim(), HISTORY_LIMITS.reason)).trim() } : {}),
  };
  if (signer)
    input.signature = await signer.sign(
      decisionStatement({ ...input, via: req.via, incidentId: req.incidentId, runStartedAt: gate.runStartedAt }),
    );
  // Only a signed decision can be audited: the workflow checks the signature before recording it.
  const audit = async () => {
    if (input.signature) await handle.signal(refusalSignal, { decision: input }).catch(() => {});
  };
  try {
    const result = await client.connection.withDeadline(validUntil + GRACE_MS, () =>
      // The nonce as update id: Temporal itself answers a repeat with the first outcome.
      handle.executeUpdate(decideUpdate, { args: [input], updateId: `decide:${input.nonce}` }),
    );
    // the same fields whichever way the gate was found (memo, query, or given), so `approve --json` has one shape
    const { id, step, action, target, runStartedAt } = gate;
    return { applied: true, gate: { id, step, action, target, digest: input.digest, runStartedAt }, result };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const code = (err.cause.type ?? 'InvalidDecision') as RefusalCode;
      await audit();
      return { applied: false, code, message: err.cause.message };
    }
    if (err instanceof WorkflowNotFoundError) {
      return { applied: false, code: 'GateClosed', message: `incident ${req.incidentId} has ended or does not exist; nothing was applied` };
    }
    if (isTimeout(err)) {
      const message = `the engine did not take the decision within ${Math.round(validForMs / 1000)}s (is a worker running?); it was NOT applied and will not be — try again`;
      await audit();
      return { applied: false, code: 'EngineUnavailable', message };
    }
    throw err;
  }
}
