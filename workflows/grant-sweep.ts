/**
 * The break-glass sweep, as a workflow the worker's Temporal Schedule starts (worker/sweep-schedule.ts):
 * one activity that deletes expired grants whose incident no longer runs. The workflow only gives
 * the sweep Temporal's retries and a record of each run; what a run found is its result.
 */
import { proxyActivities } from '@temporalio/workflow';
import { FAILURE_TYPES } from './failure-types';

/** One expired grant the sweep found, and what it did about it. */
export interface SweptGrant {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace?: string;
  name: string;
  incidentId?: string;
  expiresAt: string;
  outcome: 'deleted' | 'would delete' | 'not expired' | 'overdue: its incident is still running (is a worker running?)';
}

export interface GrantSweepActivities {
  kubeSweepExpiredGrants(): Promise<SweptGrant[]>;
}

const { kubeSweepExpiredGrants } = proxyActivities<GrantSweepActivities>({
  startToCloseTimeout: '2 minutes',
  // A run that cannot finish is taken over by the next one: the schedule skips a run while one is still going.
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FAILURE_TYPES.KubernetesNotConfigured],
  },
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
