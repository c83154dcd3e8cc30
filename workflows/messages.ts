/**
 * The incident workflow's messages, exported once and reused by the worker, the clients and the
 * tests. Naming scheme: `<what>Update`, `<what>Signal`, `<what>Query`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { FAILURE_TYPES } from './failure-types';
import type { DecideResult } from './approval-gate';
import type { CancelInput } from './cancel';
import type { CommandInput, CommandResult } from './commands';
import type { IncidentStatus } from './incident-state';
import type { ShardCounts } from './alert-ledger-contract';
import type { AlertBatch, AlertRef, DecisionInput } from './request';
import type { TimelineEvent } from './timeline';

/** Vote on an open gate. Refused by the validator, before anything reaches history, when not allowed. */
export const decideUpdate = defineUpdate<DecideResult, [DecisionInput]>('decide');

/** Ask something of a running incident (revoke access now, extend it): refused by the validator unless its playbook takes it now. */
export const commandUpdate = defineUpdate<CommandResult, [CommandInput]>('command');

/**
 * Audit of a decision or command the engine refused (or never received), carrying the refused
 * input itself, signed: the workflow checks the signature and works out the refusal again, so
 * nothing unproven reaches the timeline. The validator itself cannot write.
 */
export interface RefusalReport {
  decision?: DecisionInput;
  command?: CommandInput;
}
/** Cancel the incident as a person: signed, recorded with who and why, then the playbook stops. */
export const cancelUpdate = defineUpdate<{ cancelled: true }, [CancelInput]>('cancel');

export const refusalSignal = defineSignal<[RefusalReport]>('refusal');

export const alertsSignal = defineSignal<[AlertBatch]>('alerts');

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
  /** a few representative alerts */
  sample: AlertRef[];
  firstSeen?: string;
  lastSeen?: string;
  truncated?: number;
  /** the gateway recorded the alerts this incident was opened with in the ledger (asked by the first refusal) */
  seeded?: boolean;
}
export interface AlertCountsResult {
  distinct: number;
  firing: number;
  resolved: number;
}
export const alertCountsUpdate = defineUpdate<AlertCountsResult, [AlertCountsPush]>('alertCounts');
/** the refusal of a push whose counts lack the opening alerts: details[0] is `{ keys }` to seed */
export const ALERT_LEDGER_SEED = FAILURE_TYPES.AlertLedgerSeed;
/** the refusal of a push past the budget: details[0] is `{ retryAfterMs }` */
export const ALERT_COUNTS_BUDGET = FAILURE_TYPES.AlertCountsBudget;

export const statusQuery = defineQuery<IncidentStatus>('status');
/**
 * Timeline entries after `sinceSeq`, at most TIMELINE_PAGE_BYTES of them (a page, never the whole
 * timeline at once): page on with the last entry's seq until a page comes back empty.
 */
export const timelineQuery = defineQuery<TimelineEvent[], [number?]>('timeline');
