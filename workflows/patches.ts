/**
 * One marker for the patches every new run takes. The SDK's core writes, for each patch a run
 * first uses, a marker and an upsert of the TemporalChangeVersion search attribute: a demo
 * incident paid five pairs, two in the task that opens the gate and one in the task that takes the
 * approval, both on a person's path (issue 15). A run that starts with BASELINE_PATCH takes every
 * patch below without asking, so it writes one pair, in its first task.
 *
 * Runs without the baseline marker (started before it) ask each patch where they always did, so
 * their histories replay unchanged. BASELINE_2_PATCH does the same for the patches added after the
 * first baseline, so a new run still writes one marker. A patch added after the newest baseline is
 * asked with plain `patched()` (or with isPatched, once a later baseline lists it).
 *
 * BASELINE_3_PATCH takes the first baseline's patches, NO_LOCAL_ACTIVITIES_PATCH and
 * acting-indexed-late (incident.ts), and answers no to the second's: a run that starts with it
 * takes no local activity at all (see NO_LOCAL_ACTIVITIES_PATCH).
 *
 * Baseline 4 is the third without a marker: the client that starts the run declares it in the
 * start's memo (ENGINE_MEMO, set by startIncident through search-attributes.ts startRecord), so a
 * new run writes no marker and no TemporalChangeVersion upsert at all (issue 15). The start event
 * is history: replay reads the same memo. A run started without it (another client, or older
 * histories) decides by markers as before. A starter that leaves it out or sets it gets one of the
 * engine's own baselines either way: the memo chooses among replayable code paths, nothing else.
 */
import { patched } from '@temporalio/workflow';

export const BASELINE_PATCH = 'patch-baseline-1';

/** every patch the incident workflow asked about when BASELINE_PATCH was added */
const IN_BASELINE = new Set([
  'search-attributes',
  'lean-history',
  'gate-memo-sync',
  'slack-outage-fallback',
  'policy-lookup-not-cancelled',
  'action-before-approval-notice',
  'verified-refusals',
  'notify-refusals',
  'alert-lifecycle',
  'run-cause-memo',
  'alert-ledger-close',
  'notice-riders',
]);

export const BASELINE_2_PATCH = 'patch-baseline-2';

/** every patch the incident workflow asked about when BASELINE_2_PATCH was added, beyond IN_BASELINE */
const IN_BASELINE_2 = new Set(['local-steps', 'quick-notices']);

/**
 * New runs take no local activity: not the policy lookup, not a quick try of a notice, not a step.
 * A local activity's result reaches the workflow when the worker has it, not at a point of the
 * history: when a workflow task ends while one still runs (the SDK ends it early to answer a query
 * that came with it, or to heartbeat a task held past 80% of its timeout), the result arrives beside
 * whatever the next task brings, in an order and grouping replay does not reproduce (replay hands
 * it over with that task's events). The notification queue batches per activation, so the same
 * history then makes other commands and no longer replays: seen under load with local steps
 * (test/policy-lookup-cancel.test.ts; docs/development.md, "Local activities"). Regular activities'
 * results are events in the history, so replay meets them exactly where the run did.
 */
export const NO_LOCAL_ACTIVITIES_PATCH = 'no-local-activities';

export const BASELINE_3_PATCH = 'patch-baseline-3';

/** what BASELINE_3_PATCH takes beyond IN_BASELINE; it answers no to everything in IN_BASELINE_2 */
const IN_BASELINE_3 = new Set([NO_LOCAL_ACTIVITIES_PATCH, 'acting-indexed-late']);

/** The start memo's field that declares the engine baseline; ENGINE_BASELINE is the one new runs take. */
export const ENGINE_MEMO = 'engine';
export const ENGINE_BASELINE = 4;

// Per run: workflow modules other than the worker's shared ones are evaluated once per workflow.
// 0: no baseline marker; 1: BASELINE_PATCH's; 2: BASELINE_2_PATCH's (which implies the first);
// 3: BASELINE_3_PATCH's (the first's patches and its own, none of the second's); 4: the third's,
// declared in the start memo instead of a marker.
let baseline: 0 | 1 | 2 | 3 | 4 = 0;

/**
 * In the run's first workflow task, before any other patch is asked about, with the memo the run
 * started with. A run declared ENGINE_BASELINE takes it without a marker; any other new run takes
 * the newest marked baseline; a run replaying history without that marker answers false to it (no
 * command) and takes an earlier baseline if its history has that one.
 */
export function decideBaseline(startMemo: Record<string, unknown> | undefined): void {
  if (startMemo?.[ENGINE_MEMO] === ENGINE_BASELINE) baseline = 4;
  else baseline = patched(BASELINE_3_PATCH) ? 3 : patched(BASELINE_2_PATCH) ? 2 : patched(BASELINE_PATCH) ? 1 : 0;
}

/** `patched(id)`, answered without a marker of its own in a run that has a baseline listing it. */
export function isPatched(id: string): boolean {
  if (baseline >= 1 && IN_BASELINE.has(id)) return true;
  if (baseline >= 2 && IN_BASELINE_2.has(id)) return baseline === 2;
  if (baseline >= 3 && IN_BASELINE_3.has(id)) return true;
  return patched(id);
}
