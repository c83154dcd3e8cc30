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
import type { AlertBatch, AlertCountsPush, DecisionInput } from './request';
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
