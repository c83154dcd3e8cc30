/**
 * Commands to a running incident (break-glass: revoke now, extend). Like decisions, the person
 * is told whether it was taken: the workflow's validator refuses what the playbook does not take
 * now, and that refusal is audited on the timeline by signal. A command the engine has not
 * confirmed in time is reported as not confirmed, never as done.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { commandStatement, commandUpdate, refusalSignal, type CommandInput, type CommandRefusalCode, type CommandResult } from '../workflows';
import { isTimeout, newNonce } from './decisions';
import { findSigner, type StatementSigner } from './signing';

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
  const handle = client.workflow.getHandle(req.incidentId);
  const timeoutMs = req.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  const input: CommandInput = {
    command: req.command,
    by: req.by,
    args: req.args ?? {},
    via: req.via,
    validUntil: new Date(deadline).toISOString(),
    nonce: req.nonce ?? newNonce(),
    ...(req.reason ? { reason: req.reason } : {}),
  };
  const signer = req.signer === undefined ? findSigner(req.by) : req.signer;
  if (signer) input.signature = await signer.sign(commandStatement({ ...input, args: input.args ?? {}, via: req.via, incidentId: req.incidentId }));
  // Only a signed command can be audited: the workflow checks the signature before recording it.
  const audit = async () => {
    if (input.signature) await handle.signal(refusalSignal, { command: input }).catch(() => {});
  };
  try {
    const result = await client.connection.withDeadline(deadline, () =>
      handle.executeUpdate(commandUpdate, { args: [input], updateId: `command:${input.nonce}` }),
    );
    return { applied: true, result };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const code = (err.cause.type ?? 'InvalidCommand') as CommandRefusalCode;
      await audit();
      return { applied: false, code, message: err.cause.message };
    }
    if (err instanceof WorkflowNotFoundError) {
      return { applied: false, code: 'IncidentEnded', message: `incident ${req.incidentId} has ended or does not exist; nothing was done` };
    }
    if (isTimeout(err)) {
      // The server may still hold the command and deliver it when a worker returns: say so, never "done".
      const message = `the engine did not confirm "${req.command}" within ${Math.round(timeoutMs / 1000)}s (is a worker running?); it may still apply when a worker returns — check the incident's timeline before trying again`;
      await audit();
      return { applied: false, code: 'EngineUnavailable', message };
    }
    throw err;
  }
}
