/**
 * The decision modal: a reason (always for deny; for approve when the policy asks) and, for
 * critical actions, the target typed out, so nobody approves a destructive action by reflex.
 */
import type { View } from '@slack/types';
import { z } from 'zod';
import type { GateButtonValue } from '../../activities/slack';

export const DECISION_VIEW = 'gate_decision';

export const gateButtonSchema = z.object({
  incidentId: z.string().min(1).max(300),
  gateId: z.string().min(1).max(100),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  runStartedAt: z.iso.datetime().optional(),
  reason: z.boolean(),
  confirm: z.string().max(300).optional(),
});

export const commandButtonSchema = z.object({
  incidentId: z.string().min(1).max(300),
  command: z.string().min(1).max(64),
});

export const decisionMetaSchema = gateButtonSchema.extend({
  decision: z.enum(['approve', 'deny']),
  channel: z.string().optional(),
});
export type DecisionMeta = z.infer<typeof decisionMetaSchema>;

export function needsModal(decision: 'approve' | 'deny', value: GateButtonValue): boolean {
  return decision === 'deny' || value.reason || value.confirm !== undefined;
}

export function decisionModal(meta: DecisionMeta): View {
  const approve = meta.decision === 'approve';
  const blocks: View['blocks'] = [];
  if (approve && meta.confirm) {
    blocks.push({
      type: 'input',
      block_id: 'confirm',
      label: { type: 'plain_text', text: `Type ${meta.confirm} to confirm` },
      element: { type: 'plain_text_input', action_id: 'value' },
    });
  }
  const reasonRequired = !approve || meta.reason;
  blocks.push({
    type: 'input',
    block_id: 'reason',
    optional: !reasonRequired,
    label: { type: 'plain_text', text: approve ? 'Reason' : 'Why deny?' },
    element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 2000 },
  });
  return {
    type: 'modal',
    callback_id: DECISION_VIEW,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: approve ? 'Approve action' : 'Deny action' },
    submit: { type: 'plain_text', text: approve ? 'Approve' : 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** Field errors Slack shows in the modal; empty when the submission is complete. */
export function modalErrors(meta: DecisionMeta, reason: string | undefined, confirm: string | undefined): Record<string, string> {
  const errors: Record<string, string> = {};
  if ((meta.decision === 'deny' || meta.reason) && !reason) errors.reason = `A reason is required to ${meta.decision}.`;
  if (meta.decision === 'approve' && meta.confirm && confirm !== meta.confirm) errors.confirm = `Type ${meta.confirm} exactly to confirm.`;
  return errors;
}
