/**
 * The handlers of the `command` and `cancel` updates: they check a request against the incident
 * and its command inbox, then record it. Kept apart from commands.ts and cancel.ts (what a command
 * and a cancel are) so that messages.ts can name those types without an import cycle back to the
 * handlers, which need the messages and the incident state.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import { cancelInputSchema, type CancelRequest } from './cancel';
import { authenticateCommand, commandInputSchema, type CommandInbox } from './commands';
import type { Incident } from './incident-state';
import { cancelUpdate, commandUpdate } from './messages';

export function registerCommandHandler(incident: Incident, inbox: CommandInbox): void {
  setHandler(
    commandUpdate,
    (input) => {
      const now = Date.now();
      const checked = inbox.check(input, undefined);
      if ('refusal' in checked) throw ApplicationFailure.nonRetryable(checked.refusal.message, checked.refusal.code);
      const command = inbox.accept(checked.command, checked.definition, now, commandInputSchema().parse(input).nonce);
      incident.timeline.append(
        'command.received',
        command.by,
        `${command.by} asked to ${command.command}${command.reason ? `: ${command.reason}` : ''}`,
        {
          seq: command.seq,
          command: command.command,
          args: command.args,
          via: command.via,
          ...(command.signer ? { signer: command.signer } : {}),
        },
      );
      if (checked.definition.closesOpenGates) incident.closeOpenGates('cancelled', now, `${command.by} asked to ${command.command}`);
      return { seq: command.seq, command: command.command, accepted: true };
    },
    {
      validator: (input) => {
        const checked = inbox.check(input, Date.now());
        const refusal = 'refusal' in checked ? checked.refusal : inbox.checkInput(input);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.code);
      },
    },
  );
}

type Checked = { refusal: { code: string; message: string } } | { request: Omit<CancelRequest, 'at'> };

/** `now` undefined: the handler's re-check, without the validator's time rules (see ApprovalGate.check). */
function check(incident: Incident, input: unknown, now: number | undefined, running: () => boolean): Checked {
  const parsed = cancelInputSchema().safeParse(input);
  if (!parsed.success) return { refusal: { code: 'InvalidCommand', message: z.prettifyError(parsed.error) } };
  const c = parsed.data;
  if (!running() || incident.cancelRequest) {
    const why = incident.cancelRequest ? `already cancelled by ${incident.cancelRequest.by}` : `already ${incident.state}`;
    return { refusal: { code: 'CommandNotAccepted', message: `incident ${incident.id} is ${why}` } };
  }
  if (!incident.trust) {
    return {
      refusal: {
        code: 'Unauthenticated',
        message:
          'this incident has not opened a gate yet, so it holds no keys to check a signed cancel against; an operator can cancel it in Temporal (tourniquet cancel --force)',
      },
    };
  }
  const auth = authenticateCommand(incident.trust, incident.id, { ...c, command: 'cancel', args: {} }, now);
  if (auth.refusal) return { refusal: auth.refusal };
  return { request: { by: c.by, reason: c.reason, via: c.via, signer: auth.signer } };
}

export function registerCancelHandler(incident: Incident, inbox: CommandInbox, running: () => boolean): void {
  setHandler(
    cancelUpdate,
    (input) => {
      const now = Date.now();
      const checked = check(incident, input, undefined, running);
      if ('refusal' in checked) throw ApplicationFailure.nonRetryable(checked.refusal.message, checked.refusal.code);
      incident.cancelRequest = { ...checked.request, at: new Date(now).toISOString() };
      incident.timeline.append(
        'incident.cancel_requested',
        checked.request.by,
        `${checked.request.by} cancelled the incident: ${checked.request.reason}`,
        {
          via: checked.request.via,
          signer: checked.request.signer,
        },
      );
      incident.closeOpenGates('cancelled', now, `cancelled by ${checked.request.by}: ${checked.request.reason}`);
      inbox.interrupt();
      return { cancelled: true as const };
    },
    {
      validator: (input) => {
        const checked = check(incident, input, Date.now(), running);
        if ('refusal' in checked) throw ApplicationFailure.nonRetryable(checked.refusal.message, checked.refusal.code);
      },
    },
  );
}
