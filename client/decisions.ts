/**
 * Deciding on a gate, with the promise that matters to the person clicking: the decision is
 * applied, or they are told it was not. Never "maybe later".
 *
 * Each decision carries `validUntil`. If no worker picks the update up in time, we stop waiting and
 * report it as not applied; should the server still deliver it later, the workflow's validator sees
 * that its validity has passed and refuses it, so the report stays true. Refusals are then audited
 * on the timeline by signal, which the server stores even while no worker runs.
 */
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { decisionStatement, type DecideResult, type DecisionInput, type GateMemo, type GateView, type RefusalCode } from '../workflows';
import type { DecisionEngine } from './decision-engine';
import type * as GrpcEngineModule from './decision-engine-grpc';
import { findSigner, type StatementSigner } from './signing';
import { HISTORY_LIMITS, redactForHistory } from '../redaction';

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
async function gateFromMemo(engine: DecisionEngine, req: DecisionRequest, deadline: number): Promise<GateMemo | undefined> {
  try {
    const described = await engine.describeGate(req.incidentId, deadline);
    if (!described.running) return undefined;
    const gate = described.gate as Record<keyof GateMemo, unknown> | null | undefined;
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

async function findGate(engine: DecisionEngine, req: DecisionRequest, deadline: number) {
  const status = await engine.queryStatus(req.incidentId, deadline);
  const gates = req.gateId ? status.gates.filter((g) => g.id === req.gateId) : status.gates.filter((g) => g.status === 'open');
  return { gates, status };
}

/**
 * The gRPC engine's module, imported once per process: each `await import()` goes through the
 * module loader again (about a millisecond under tsx, on every Slack click), though the module is cached.
 */
let grpcEngine: Promise<typeof GrpcEngineModule> | undefined;
const grpcEngineModule = () =>
  (grpcEngine ??= import('./decision-engine-grpc').catch((err: unknown) => {
    grpcEngine = undefined;
    throw err;
  }));

/**
 * Over the SDK's client, or any DecisionEngine (the CLI's over Temporal's HTTP API): the same
 * refusals, messages and signed statement either way.
 */
export async function decide(client: Client | DecisionEngine, req: DecisionRequest): Promise<DecisionOutcome> {
  // Loaded only with an SDK client: the HTTP path loads no gRPC.
  const engine = 'workflow' in client ? (await grpcEngineModule()).grpcDecisionEngine(client) : client;
  const validForMs = req.validForMs ?? DEFAULT_VALID_FOR_MS;
  const validUntil = Date.now() + validForMs;
  const signer = req.signer === undefined ? findSigner(req.approver) : req.signer;

  let gate: Pick<GateView, 'id' | 'step' | 'action' | 'target' | 'digest' | 'runStartedAt'> | undefined;
  if (req.gateId && req.digest && req.runStartedAt) {
    gate = { id: req.gateId, digest: req.digest, runStartedAt: req.runStartedAt, step: '', action: '', target: '' };
  } else {
    gate = await gateFromMemo(engine, req, validUntil);
  }
  if (!gate) {
    let found;
    try {
      found = await findGate(engine, req, validUntil);
    } catch (err) {
      if (!engine.isTimeout(err)) throw err;
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
    if (input.signature) await engine.signalRefusal(req.incidentId, input).catch(() => {});
  };
  // The nonce as update id: Temporal itself answers a repeat with the first outcome.
  const outcome = await engine.executeDecide(req.incidentId, input, `decide:${input.nonce}`, validUntil + GRACE_MS);
  switch (outcome.kind) {
    case 'completed': {
      // the same fields whichever way the gate was found (memo, query, or given), so `approve --json` has one shape
      const { id, step, action, target, runStartedAt } = gate;
      return { applied: true, gate: { id, step, action, target, digest: input.digest, runStartedAt }, result: outcome.result };
    }
    case 'refused': {
      const code = (outcome.type ?? 'InvalidDecision') as RefusalCode;
      await audit();
      return { applied: false, code, message: outcome.message };
    }
    case 'notFound':
      return { applied: false, code: 'GateClosed', message: `incident ${req.incidentId} has ended or does not exist; nothing was applied` };
    case 'timeout': {
      const message = `the engine did not take the decision within ${Math.round(validForMs / 1000)}s (is a worker running?); it was NOT applied and will not be — try again`;
      await audit();
      return { applied: false, code: 'EngineUnavailable', message };
    }
  }
}
