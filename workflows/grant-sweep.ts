/**
 * The break-glass sweep, as a workflow the worker's Temporal Schedule starts (worker/sweep-schedule.ts):
 * one activity that deletes expired grants whose incident no longer runs. The workflow only gives
 * the sweep Temporal's retries and a record of each run; what a run found is its result.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SweptGrant } from '../activities/kubernetes';

export interface GrantSweepActivities {
  kubeSweepExpiredGrants(): Promise<SweptGrant[]>;
}

const { kubeSweepExpiredGrants } = proxyActivities<GrantSweepActivities>({
  startToCloseTimeout: '2 minutes',
  // A run that cannot finish is taken over by the next one: the schedule skips a run while one is still going.
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5, nonRetryableErrorTypes: ['KubernetesNotConfigured'] },
});

export interface GrantSweepResult {
  deleted: number;
  overdue: number;
  grants: SweptGrant[];
}

export async function breakGlassSweepWorkflow(): Promise<GrantSweepResult> {
  const grants = await kubeSweepExpiredGrants();
  return {
    deleted: grants.filter((g) => g.outcome === 'deleted').length,
    overdue: grants.filter((g) => g.outcome.startsWith('overdue')).length,
    grants,
  };
}
