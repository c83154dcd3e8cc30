/**
 * One marker for the patches every new run takes. The SDK's core writes, for each patch a run
 * first uses, a marker and an upsert of the TemporalChangeVersion search attribute: a demo
 * incident paid five pairs, two in the task that opens the gate and one in the task that takes the
 * approval, both on a person's path (issue 15). A run that starts with BASELINE_PATCH takes every
 * patch below without asking, so it writes one pair, in its first task.
 *
 * Runs without the baseline marker (started before it) ask each patch where they always did, so
 * their histories replay unchanged. A patch added after this one is asked with plain `patched()`.
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

// Per run: workflow modules other than the worker's shared ones are evaluated once per workflow.
let baseline: boolean | undefined;

/** In the run's first workflow task, before any other patch is asked about. */
export function decideBaseline(): void {
  baseline = patched(BASELINE_PATCH);
}

/** `patched(id)`, answered without a marker of its own in a run that has the baseline. */
export function isPatched(id: string): boolean {
  return (baseline === true && IN_BASELINE.has(id)) || patched(id);
}
