/**
 * The postmortem's data, versioned: `tourniquet.postmortem/v1`. The zod schema is the source of
 * truth; `postmortem.v1.schema.json` beside it is generated from it (`npm run schema`) for people
 * and tools outside TypeScript, and a test keeps the two equal.
 */
import { z } from 'zod';
import { INCIDENT_STATES } from '../../workflows/incident-state';

export const POSTMORTEM_SCHEMA_ID = 'tourniquet.postmortem/v1';

const time = z.string().describe('ISO 8601 time');
const ms = z.number().int().describe('milliseconds');

const signer = z
  .object({
    by: z
      .enum(['person', 'slack-gateway', 'unauthenticated'])
      .describe("person: the approver's own key; slack-gateway: the gateway vouched for the Slack user in via"),
    key: z.string().optional().describe('SHA256:… fingerprint of the key that signed, as ssh-keygen -l prints it'),
  })
  .describe('who vouched for the decision, as the engine found when it took it');

// Every field of decisionStatement() is here, so `tourniquet verify` can rebuild the signed text.
const vote = z.object({
  approver: z.string(),
  decision: z.enum(['approve', 'deny']),
  reason: z.string().optional(),
  via: z.string().describe('cli, slack:<user id>, api…'),
  at: time,
  signer: signer.optional().describe('absent on votes recorded before decisions were signed'),
  signature: z
    .string()
    .optional()
    .describe('the armored SSH signature (ssh-keygen -Y sign format, namespace tourniquet) over the decision statement'),
  valid_until: time.optional().describe('the validity the signer gave the decision; part of the signed statement'),
  nonce: z.string().optional().describe('unique per decision; part of the signed statement'),
});

const refusal = z.object({
  at: time,
  actor: z.string(),
  code: z.string().describe('SelfApproval, ApproverNotEligible, AlreadyVoted, DigestMismatch, EngineUnavailable…'),
  message: z.string(),
  via: z.string().optional(),
  signer: signer.optional().describe('the refused decision was signed by this key (only proven refusals are recorded)'),
});

export const postmortemSchema = z
  .object({
    schema: z.literal(POSTMORTEM_SCHEMA_ID),
    generated_at: time,
    incident: z.object({
      id: z.string(),
      title: z.string(),
      playbook: z.string(),
      mode: z.enum(['live', 'drill']),
      requester: z.string(),
      state: z.enum(INCIDENT_STATES),
      outcome: z.string().optional(),
      decisions: z
        .enum(['signed', 'unauthenticated'])
        .optional()
        .describe('unauthenticated when any gate took decisions without signatures (the demo mode, or gates from before signing)'),
    }),
    clock: z.object({
      exposed_at: time.optional(),
      detected_at: time.optional(),
      received_at: time.optional(),
      approval_requested_at: time.optional(),
      decided_at: time.optional(),
      action_started_at: time.optional(),
      contained_at: time.optional(),
      resolved_at: time.optional(),
    }),
    durations: z.object({
      time_to_approve_ms: ms.optional(),
      time_to_contain_ms: ms.optional(),
      detection_delay_ms: ms.optional(),
      time_to_resolve_ms: ms.optional(),
      exposure_window_ms: ms.optional(),
    }),
    alerts: z.object({
      total: z.number().int().describe('deliveries of firing alerts: each re-send counts'),
      batches: z.number().int(),
      distinct: z.number().int().optional().describe("distinct alerts by the sender's own identity (an estimate when exact is false)"),
      firing: z.number().int().optional().describe('distinct alerts whose latest word is firing'),
      resolved: z.number().int().optional().describe('distinct alerts whose latest word is resolved'),
      exact: z.boolean().optional().describe('false once more distinct alerts were seen than are kept exactly (10,000)'),
      truncated: z
        .number()
        .int()
        .optional()
        .describe("the most alerts a sender left out of one notification (Alertmanager's truncatedAlerts)"),
      first_seen: time.optional(),
      last_seen: time.optional(),
    }),
    approvals: z.array(
      z.object({
        gate_id: z.string(),
        step: z.string(),
        action: z.string(),
        target: z.string(),
        args: z.unknown().optional().describe('the exact arguments: sha256 of canonical {action, target, args} is the digest'),
        digest: z.string(),
        risk: z.string(),
        policy: z.string(),
        requester: z.string(),
        eligible: z.array(z.string()),
        quorum: z.number().int(),
        authentication: z
          .enum(['signed', 'unauthenticated'])
          .optional()
          .describe('how this gate proved decisions; absent on gates from before signing'),
        slack_users: z
          .record(z.string(), z.string())
          .optional()
          .describe("identity → Slack user from the gate's key snapshot: whom the Slack gateway may vouch for"),
        status: z.enum(['open', 'approved', 'denied', 'expired', 'cancelled', 'withdrawn']),
        opened_at: time,
        run_started_at: time.optional().describe("the incident run's start: part of what each decision signed"),
        deadline: time,
        closed_at: time.optional(),
        closed_reason: z.string().optional(),
        votes: z.array(vote),
        refusals: z.array(refusal),
      }),
    ),
    steps: z.array(
      z.object({
        seq: z.number().int(),
        at: time,
        kind: z.string(),
        actor: z.string(),
        summary: z.string(),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
    evidence: z.object({
      verified: z.boolean().describe('every artifact hashes to its entry and the chain is intact'),
      entries: z.array(
        z.object({
          seq: z.number().int(),
          name: z.string(),
          step: z.string().optional(),
          sha256: z.string(),
          size: z.number().int(),
          uri: z.string(),
          content_type: z.string().optional(),
          redactions: z.number().int().optional(),
          facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
          recorded_at: time,
          prev_hash: z.string(),
          entry_hash: z.string(),
          ok: z.boolean(),
          problems: z.array(z.string()),
        }),
      ),
    }),
  })
  .meta({ title: 'Tourniquet postmortem', description: 'What an incident did, who decided, how long it took, and its verified evidence.' });

export type Postmortem = z.infer<typeof postmortemSchema>;

export function postmortemJsonSchema(): Record<string, unknown> {
  return { $id: `https://tourniquet.dev/schemas/${POSTMORTEM_SCHEMA_ID}.json`, ...z.toJSONSchema(postmortemSchema) };
}
