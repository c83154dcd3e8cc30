/**
 * Cancelling an incident as a person: a signed request that says who and why, recorded on the
 * timeline. Open gates close at once and the playbook stops at its next wait or step (an action
 * already running finishes; nothing further starts); then, as for Temporal's own cancellation,
 * only the undos that must run on cancel run, and the workflow ends with its record complete.
 * No cancellation scope is involved, so the commands an incident issues keep their shape.
 * Temporal-level cancellation stays an operator's power: it stops an incident, recorded without a name.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { authenticateCommand, type CommandInbox } from './commands';
import { z } from 'zod';
import type { Incident } from './incident-state';
import { cancelUpdate } from './messages';
import { identitySchema, nonceSchema, signatureSchema } from './request';
import type { Signer } from './signatures/trust';

export const cancelInputSchema = z.object({
  by: identitySchema,
  reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2000),
  via: z.string().max(40).default('api'),
  validUntil: z.iso.datetime({ offset: true }).optional(),
  nonce: nonceSchema.optional(),
  signature: signatureSchema.optional(),
});
export type CancelInput = z.input<typeof cancelInputSchema>;

export interface CancelRequest {
  by: string;
  reason: string;
  via: string;
  signer: Signer;
  at: string;
}

type Checked = { refusal: { code: string; message: string } } | { request: Omit<CancelRequest, 'at'> };

/** `now` undefined: the handler's re-check, without the validator's time rules (see ApprovalGate.check). */
function check(incident: Incident, input: unknown, now: number | undefined, running: () => boolean): Checked {
  const parsed = cancelInputSchema.safeParse(input);
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
        message: 'this incident has not opened a gate yet, so it holds no keys to check a signed cancel against; an operator can cancel it in Temporal (tourniquet cancel --force)',
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
      incident.timeline.append('incident.cancel_requested', checked.request.by, `${checked.request.by} cancelled the incident: ${checked.request.reason}`, {
        via: checked.request.via,
        signer: checked.request.signer,
      });
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
