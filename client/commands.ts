/**
 * Commands to a running incident (break-glass: revoke now, extend). Like decisions, the person
 * is told whether it was taken: the workflow's validator refuses what the playbook does not take
 * now, and that refusal is audited on the timeline by signal. A command the engine has not
 * confirmed in time is reported as not confirmed, never as done.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { commandUpdate, refusalSignal, type CommandResult, type RefusalReport } from '../workflows';
import { isTimeout } from './decisions';
import { HISTORY_LIMITS, redactDeep, redactForHistory } from '../redaction';

export interface CommandRequest {
  incidentId: string;
  command: string;
  by: string;
  args?: Record<string, unknown>;
  reason?: string;
  via: string;
  /** how long to wait for the engine to take it */
  timeoutMs?: number;
}

export type CommandOutcome =
  | { applied: true; result: CommandResult }
  | { applied: false; code: RefusalReport['code'] | 'IncidentEnded'; message: string };

export async function sendCommand(client: Client, req: CommandRequest): Promise<CommandOutcome> {
  const handle = client.workflow.getHandle(req.incidentId);
  // Reason and args are redacted before they are sent: history keeps secrets only as fingerprints.
  const reason = req.reason ? await redactForHistory(req.reason, HISTORY_LIMITS.commandReason) : undefined;
  const input = { command: req.command, by: req.by, args: (await redactDeep(req.args ?? {})).value, via: req.via, ...(reason ? { reason } : {}) };
  const timeoutMs = req.timeoutMs ?? 15_000;
  const audit = (code: RefusalReport['code'], message: string) =>
    handle.signal(refusalSignal, { approver: req.by, code, message, via: req.via }).catch(() => {});
  try {
    const result = await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      handle.executeUpdate(commandUpdate, { args: [input], updateId: `command:${req.command}:${req.by}:${randomUUID()}` }),
    );
    return { applied: true, result };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const code = (err.cause.type ?? 'InvalidCommand') as RefusalReport['code'];
      await audit(code, `${req.command} refused: ${err.cause.message}`);
      return { applied: false, code, message: err.cause.message };
    }
    if (err instanceof WorkflowNotFoundError) {
      return { applied: false, code: 'IncidentEnded', message: `incident ${req.incidentId} has ended or does not exist; nothing was done` };
    }
    if (isTimeout(err)) {
      // The server may still hold the command and deliver it when a worker returns: say so, never "done".
      const message = `the engine did not confirm "${req.command}" within ${Math.round(timeoutMs / 1000)}s (is a worker running?); it may still apply when a worker returns — check the incident's timeline before trying again`;
      await audit('EngineUnavailable', message);
      return { applied: false, code: 'EngineUnavailable', message };
    }
    throw err;
  }
}
