/**
 * The backstop for break-glass grants: a binding outlives its incident only when the workflow was
 * terminated by hand (a cancel revokes it). The sweep finds Tourniquet's bindings whose
 * `tourniquet.io/expires` has passed and deletes those whose incident is no longer running; a
 * running incident's grant is left to the incident (its own timer revokes it), and reported as
 * overdue so someone looks for the missing worker.
 *
 * It runs inside Tourniquet on a Temporal Schedule (worker/sweep-schedule.ts,
 * workflows/grant-sweep.ts) as the worker's ServiceAccount, and by hand as `tourniquet breakglass
 * sweep` with an operator's KUBECONFIG. Idempotent: every run lists afresh; a binding gone since the
 * list counts as deleted.
 */
import { RbacAuthorizationV1Api, type KubeConfig, type V1ClusterRoleBinding, type V1RoleBinding } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { kubeClients, type KubernetesDeps } from './client';
import { codeOf, kubeCall } from './errors';
import type { SweptGrant } from '../../workflows/grant-sweep';

const SELECTOR = 'app.kubernetes.io/managed-by=tourniquet,tourniquet.io/expires';

export type { SweptGrant };

async function incidentRunning(temporal: Client, incidentId: string | undefined): Promise<boolean> {
  if (!incidentId) return false;
  try {
    const { status } = await temporal.workflow.getHandle(incidentId).describe();
    return status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export async function sweepExpiredGrants(options: {
  kube: KubeConfig;
  temporal: Client;
  now?: number;
  dryRun?: boolean;
}): Promise<SweptGrant[]> {
  const rbac = options.kube.makeApiClient(RbacAuthorizationV1Api);
  const now = options.now ?? Date.now();
  const [namespaced, cluster] = await kubeCall('listing break-glass bindings', () =>
    Promise.all([
      rbac.listRoleBindingForAllNamespaces({ labelSelector: SELECTOR }),
      rbac.listClusterRoleBinding({ labelSelector: SELECTOR }),
    ]),
  );
  const bindings: [SweptGrant['kind'], V1RoleBinding | V1ClusterRoleBinding][] = [
    ...namespaced.items.map((b) => ['RoleBinding', b] as [SweptGrant['kind'], V1RoleBinding]),
    ...cluster.items.map((b) => ['ClusterRoleBinding', b] as [SweptGrant['kind'], V1ClusterRoleBinding]),
  ];
  const swept: SweptGrant[] = [];
  for (const [kind, binding] of bindings) {
    const meta = binding.metadata!;
    const expires = Number(meta.labels?.['tourniquet.io/expires']) * 1000;
    const incidentId = meta.annotations?.['tourniquet.io/incident-id'];
    const row: Omit<SweptGrant, 'outcome'> = {
      kind,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      name: meta.name!,
      ...(incidentId ? { incidentId } : {}),
      expiresAt: Number.isFinite(expires) ? new Date(expires).toISOString() : 'unreadable',
    };
    if (Number.isFinite(expires) && expires > now) {
      swept.push({ ...row, outcome: 'not expired' });
    } else if (await incidentRunning(options.temporal, incidentId)) {
      swept.push({ ...row, outcome: 'overdue: its incident is still running (is a worker running?)' });
    } else if (options.dryRun) {
      swept.push({ ...row, outcome: 'would delete' });
    } else {
      // The uid precondition: never delete a binding recreated under the same name since the list.
      const body = { preconditions: { uid: meta.uid } };
      try {
        await (meta.namespace
          ? rbac.deleteNamespacedRoleBinding({ name: meta.name!, namespace: meta.namespace, body })
          : rbac.deleteClusterRoleBinding({ name: meta.name!, body }));
      } catch (err) {
        // Gone since the list (another sweep, or its incident's revoke): what the sweep wanted.
        if (codeOf(err) !== 404)
          await kubeCall(`deleting ${kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`, () => Promise.reject(err));
      }
      swept.push({ ...row, outcome: 'deleted' });
    }
  }
  return swept;
}

/** The scheduled sweep's activity: the worker's own Kubernetes identity, and its Temporal client to ask whether incidents run. */
export function createKubeGrantSweepActivities(deps: { kubernetes: KubernetesDeps | undefined }) {
  return {
    async kubeSweepExpiredGrants(): Promise<SweptGrant[]> {
      const { kubeConfig } = kubeClients(deps.kubernetes);
      return sweepExpiredGrants({ kube: kubeConfig, temporal: Context.current().client });
    },
  };
}
