/**
 * Commands to a running incident (break-glass: revoke now, extend). Like decisions, the person
 * is told whether it was taken: the workflow's validator refuses what the playbook does not take
 * now, and that refusal is audited on the timeline by signal. A command the engine has not
 * confirmed in time is reported as not confirmed, never as done.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  cancelUpdate,
  commandStatement,
  commandUpdate,
  refusalSignal,
  type CancelInput,
  type CommandInput,
  type CommandRefusalCode,
  type CommandResult,
  type RefusalReport,
} from '../workflows';
import { newNonce } from './decisions';
import { isTimeout } from './engine';
import { findSigner, type StatementSigner } from './signing';
import { HISTORY_LIMITS, redactDeep, redactForHistory } from '../redaction';

export interface CommandRequest {
  incidentId: string;
  command: string;
  by: string;
  args?: Record<string, unknown>;
  reason?: string;
  via: string;
  /** how long to wait for the engine to take it; the command is valid that long, and refused after */
  timeoutMs?: number;
  /** unique per command (front doors derive it from the request, so a replay is refused); random otherwise */
  nonce?: string;
  /** signs the command as `by`; by default the key findSigner() finds for them; null: unsigned (front doors without a key) */
  signer?: StatementSigner | null;
}

export type CommandOutcome =
  | { applied: true; result: CommandResult }
  | { applied: false; code: CommandRefusalCode | 'EngineUnavailable' | 'IncidentEnded'; message: string };

export async function sendCommand(client: Client, req: CommandRequest): Promise<CommandOutcome> {
  const deadline = Date.now() + (req.timeoutMs ?? 15_000);
  const input: CommandInput = {
    command: req.command,
    by: req.by,
    // Reason and args are redacted before they are sent and signed: history keeps secrets only as fingerprints.
    args: (await redactDeep(req.args ?? {})).value,
    via: req.via,
    validUntil: new Date(deadline).toISOString(),
    nonce: req.nonce ?? newNonce(),
    // trimmed as the workflow's schema trims it: the signed reason is the recorded one
    ...(req.reason?.trim() ? { reason: (await redactForHistory(req.reason.trim(), HISTORY_LIMITS.commandReason)).trim() } : {}),
  };
  const signer = req.signer === undefined ? findSigner(req.by) : req.signer;
  if (signer)
    input.signature = await signer.sign(commandStatement({ ...input, args: input.args ?? {}, via: req.via, incidentId: req.incidentId }));
  const outcome = await signedUpdate(
    client,
    req.incidentId,
    req.command,
    deadline,
    () => client.workflow.getHandle(req.incidentId).executeUpdate(commandUpdate, { args: [input], updateId: `command:${input.nonce}` }),
    // Only a signed command can be audited: the workflow checks the signature before recording it.
    input.signature ? { command: input } : undefined,
  );
  return outcome.applied ? { applied: true, result: outcome.result } : outcome;
}

export interface CancelRequest {
  incidentId: string;
  by: string;
  reason: string;
  via: string;
  timeoutMs?: number;
  nonce?: string;
  signer?: StatementSigner | null;
}

/** Cancels an incident as a person: signed, so the timeline and the exports say who and why. */
export async function cancelIncident(
  client: Client,
  req: CancelRequest,
): Promise<{ applied: true } | Extract<CommandOutcome, { applied: false }>> {
  const deadline = Date.now() + (req.timeoutMs ?? 15_000);
  const reason = (await redactForHistory(req.reason.trim(), HISTORY_LIMITS.commandReason)).trim();
  const input: CancelInput = {
    by: req.by,
    reason,
    via: req.via,
    validUntil: new Date(deadline).toISOString(),
    nonce: req.nonce ?? newNonce(),
  };
  const signer = req.signer === undefined ? findSigner(req.by) : req.signer;
  if (signer)
    input.signature = await signer.sign(
      commandStatement({ command: 'cancel', args: {}, ...input, via: req.via, incidentId: req.incidentId }),
    );
  const outcome = await signedUpdate(client, req.incidentId, 'cancel', deadline, () =>
    client.workflow.getHandle(req.incidentId).executeUpdate(cancelUpdate, { args: [input], updateId: `cancel:${input.nonce}` }),
  );
  return outcome.applied ? { applied: true } : outcome;
}

/** Runs an update, telling apart refused, ended, unconfirmed and done; audits refusals it can prove. */
async function signedUpdate<R>(
  client: Client,
  incidentId: string,
  what: string,
  deadline: number,
  run: () => Promise<R>,
  report?: RefusalReport,
): Promise<{ applied: true; result: R } | Extract<CommandOutcome, { applied: false }>> {
  const audit = async () => {
    if (report)
      await client.workflow
        .getHandle(incidentId)
        .signal(refusalSignal, report)
        .catch(() => {});
  };
  try {
    return { applied: true, result: await client.connection.withDeadline(deadline, run) };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      await audit();
      return { applied: false, code: (err.cause.type ?? 'InvalidCommand') as CommandRefusalCode, message: err.cause.message };
    }
    if (err instanceof WorkflowNotFoundError) {
      return { applied: false, code: 'IncidentEnded', message: `incident ${incidentId} has ended or does not exist; nothing was done` };
    }
    if (isTimeout(err)) {
      // The server may still hold the command and deliver it when a worker returns: say so, never "done".
      await audit();
      return {
        applied: false,
        code: 'EngineUnavailable',
        message: `the engine did not confirm "${what}" in time (is a worker running?); it may still apply when a worker returns — check the incident's timeline before trying again`,
      };
    }
    throw err;
  }
}
