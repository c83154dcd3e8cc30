/**
 * The backstop for break-glass grants: a binding outlives its incident only when the workflow was
 * terminated by hand (a cancel revokes it). `tourniquet breakglass sweep` finds Tourniquet's
 * bindings whose `tourniquet.io/expires` has passed and deletes those whose incident is no longer
 * running; a running incident's grant is left to the incident (its own timer revokes it), and
 * reported as overdue so someone looks for the missing worker.
 */
import { RbacAuthorizationV1Api, type KubeConfig, type V1ClusterRoleBinding, type V1RoleBinding } from '@kubernetes/client-node';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

const SELECTOR = 'app.kubernetes.io/managed-by=tourniquet,tourniquet.io/expires';

export interface SweptGrant {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace?: string;
  name: string;
  incidentId?: string;
  expiresAt: string;
  outcome: 'deleted' | 'would delete' | 'not expired' | 'overdue: its incident is still running (is a worker running?)';
}

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

export async function sweepExpiredGrants(options: { kube: KubeConfig; temporal: Client; now?: number; dryRun?: boolean }): Promise<SweptGrant[]> {
  const rbac = options.kube.makeApiClient(RbacAuthorizationV1Api);
  const now = options.now ?? Date.now();
  const [namespaced, cluster] = await Promise.all([
    rbac.listRoleBindingForAllNamespaces({ labelSelector: SELECTOR }),
    rbac.listClusterRoleBinding({ labelSelector: SELECTOR }),
  ]);
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
      await (meta.namespace
        ? rbac.deleteNamespacedRoleBinding({ name: meta.name!, namespace: meta.namespace, body })
        : rbac.deleteClusterRoleBinding({ name: meta.name!, body }));
      swept.push({ ...row, outcome: 'deleted' });
    }
  }
  return swept;
}
