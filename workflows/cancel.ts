/**
 * Cancelling an incident as a person: a signed request that says who and why, recorded on the
 * timeline. Open gates close at once and the playbook stops at its next wait or step (an action
 * already running finishes; nothing further starts); then, as for Temporal's own cancellation,
 * only the undos that must run on cancel run, and the workflow ends with its record complete.
 * No cancellation scope is involved, so the commands an incident issues keep their shape.
 * Temporal-level cancellation stays an operator's power: it stops an incident, recorded without a name.
 */
import { z } from 'zod';
import { lazy } from './lazy';
import { identitySchema, nonceSchema, signatureSchema } from './request';
import type { Signer } from './signatures/trust';

/** Built on first use: most incidents are never cancelled by a person (workflows/lazy.ts). */
export const cancelInputSchema = lazy(() =>
  z.object({
    by: identitySchema,
    reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2000),
    via: z.string().max(40).default('api'),
    validUntil: z.iso.datetime({ offset: true }).optional(),
    nonce: nonceSchema.optional(),
    signature: signatureSchema.optional(),
  }),
);
export type CancelInput = z.input<ReturnType<typeof cancelInputSchema>>;

export interface CancelRequest {
  by: string;
  reason: string;
  via: string;
  signer: Signer;
  at: string;
}
