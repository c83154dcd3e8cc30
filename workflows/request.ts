/**
 * The validated shapes that cross the workflow boundary: the incident request, alert references
 * and approval policies. Shared by the workflow (which validates again: a client is not trusted to
 * have done it) and by every client (CLI, gateway, tests).
 */
import { z } from 'zod';
import type { ShardCounts } from './alert-ledger-contract';

const isoTime = z.iso.datetime({ offset: true });

export const incidentModeSchema = z.enum(['live', 'drill']);
export type IncidentMode = z.infer<typeof incidentModeSchema>;

export const alertRefSchema = z.object({
  source: z.string().min(1).max(64),
  title: z.string().min(1).max(500),
  id: z.string().max(200).optional(),
  fingerprint: z.string().max(200).optional(),
  /** the alert's identity as counted (a short hash of the source and its own identity): see alert-identities.ts */
  key: z.string().max(64).optional(),
  detectedAt: isoTime.optional(),
  labels: z.record(z.string(), z.string().max(1000)).optional(),
});
export type AlertRef = z.infer<typeof alertRefSchema>;

/** Identities are opaque strings (`alice`, `slack:U024BE7LH`): compared exactly, never parsed. */
export const identitySchema = z.string().trim().min(1).max(200);

export const incidentRequestSchema = z.object({
  playbook: z.string().min(1).max(100),
  title: z.string().max(300).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  requester: identitySchema,
  mode: incidentModeSchema.default('live'),
  alerts: z.array(alertRefSchema).max(100).default([]),
  /** when the problem was first seen; defaults to the earliest alert's detectedAt */
  detectedAt: isoTime.optional(),
  /** when Tourniquet received it; defaults to workflow start */
  receivedAt: isoTime.optional(),
  /** a named policy from the worker's policy file; the playbook's default when absent */
  policy: z.string().min(1).max(100).optional(),
  /** from the alert route: what every distinct alert resolving does (absent: `note`); see alert-lifecycle.ts */
  lifecycle: z.object({ onResolved: z.enum(['note', 'withdraw']) }).optional(),
});
export type IncidentRequest = z.infer<typeof incidentRequestSchema>;
export type IncidentRequestInput = z.input<typeof incidentRequestSchema>;

/** An approval policy as the engine uses it: approvers resolved to identities, durations in ms. */
export interface ApprovalPolicy {
  name: string;
  approvers: string[];
  quorum: number;
  timeoutMs: number;
  remindersMs: number[];
  escalation?: { afterMs: number; notify: string[]; channel?: string };
  requireReasonOnApprove: boolean;
  channel?: string;
}

export const nonceSchema = z.string().regex(/^[A-Za-z0-9:._-]{8,128}$/, 'a nonce is 8–128 characters of A-Z a-z 0-9 : . _ -');
export const signatureSchema = z.string().max(2000);

export const decisionSchema = z.object({
  gateId: z.string().min(1).max(100),
  digest: z.string().regex(/^[0-9a-f]{64}$/, 'digest must be the 64-hex sha256 shown on the gate'),
  decision: z.enum(['approve', 'deny']),
  approver: identitySchema,
  reason: z.string().trim().max(2000).optional(),
  via: z.string().max(40).default('api'),
  /** a decision that reaches the workflow after this instant is refused, so a late delivery never applies */
  validUntil: isoTime.optional(),
  /** unique per decision: the gate takes each at most once (a replayed click, a retried send) */
  nonce: nonceSchema.optional(),
  /** SSHSIG (armored) over decisionStatement(): the approver's key, or a front door's for its users */
  signature: signatureSchema.optional(),
});
export type DecisionInput = z.input<typeof decisionSchema>;
export type Decision = z.infer<typeof decisionSchema>;

/** More alerts for an open incident: a batch with its exact count, so storms cost one event per batch. */
export interface AlertBatch {
  /** deliveries in this batch (a re-send of the same alert counts again) */
  count: number;
  /** a few representative alerts; the count is what is added up */
  sample: AlertRef[];
  /**
   * the distinct alert identities in this batch (AlertRef.key: a hash of the sender's own
   * identity), at most MAX_BATCH_KEYS; recording one twice changes nothing, so retries are harmless
   */
  keys?: string[];
  firstSeen?: string;
  /** when the latest of these was received (for resolved: when it stopped firing) */
  lastSeen?: string;
  /** `resolved`: the source says these alerts stopped firing: recorded once per identity, not counted as deliveries */
  status?: 'firing' | 'resolved';
  /** alerts the sender left out of its notification (Alertmanager's truncatedAlerts) */
  truncated?: number;
}
/** the most identities one alerts signal carries: larger batches are sent as several signals */
export const MAX_BATCH_KEYS = 1000;

/** Sample alerts a push may carry: the validator refuses more, the gateway's merge keeps the first. */
export const MAX_PUSH_SAMPLE = 3;

/**
 * Alert counts from the alert ledger (./alert-ledger-contract.ts), pushed by the gateway: the
 * deliveries since the last push, and each shard's absolute counts with its sequence number (the
 * newest wins, so a retried or reordered push changes nothing). Refused by the validator, before
 * anything reaches history, past the incident's budget (./alert-counts.ts): the gateway keeps
 * the counts and pushes them later, merged.
 */
export interface AlertCountsPush {
  /** firing deliveries and their batches since the last push */
  deliveries: number;
  batches: number;
  /** shard index → its counts as the ledger last answered */
  shards: Record<string, ShardCounts>;
  /** identities newly firing (new, or firing again) / newly resolved in this push */
  firingFresh: number;
  resolvedFresh: number;
  /** a few representative alerts, at most MAX_PUSH_SAMPLE */
  sample: AlertRef[];
  firstSeen?: string;
  lastSeen?: string;
  truncated?: number;
  /** the gateway recorded the alerts this incident was opened with in the ledger (asked by the first refusal) */
  seeded?: boolean;
}
