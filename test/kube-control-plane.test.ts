/**
 * Smoke test of the Kubernetes test control plane: a real etcd and kube-apiserver (see
 * test/support/kube/), real validation, patch semantics, server-side dry run and RBAC, with the
 * worker running under the ServiceAccount and roles from deploy/kubernetes/.
 */
import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  VersionApi,
  setHeaderOptions,
  type KubeConfig,
  type V1NetworkPolicy,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUARANTINE_LABEL } from '../activities/kubernetes';
import { pinnedKubernetesVersion } from '../tools/kube-binaries';
import { MANAGED_BY } from './support/kube/manifests';
import { createDeployment, createPod, REVISION_ANNOTATION, statusOf } from './support/kube/objects';
import { useKubeSuite } from './support/kube/suite';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
// isolate-pod's label: the worker guard admits NetworkPolicies that select it, and no others.
const QUARANTINE = QUARANTINE_LABEL;

const kube = useKubeSuite();
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;

beforeAll(() => {
  ({ admin, worker, ns } = kube);
  console.error(`[kube] control plane ready in ${kube.cp.startupMs} ms at ${kube.cp.server}`);
});

function quarantinePolicy(name: string): V1NetworkPolicy {
  return {
    metadata: { name, labels: { ...MANAGED_BY } },
    // Selects the quarantined pods; no ingress or egress rules means all their traffic is denied.
    spec: { podSelector: { matchLabels: { [QUARANTINE]: 'true' } }, policyTypes: ['Ingress', 'Egress'] },
  };
}

describe('Kubernetes test control plane', () => {
  it('is the pinned kube-apiserver, with its RBAC bootstrap roles in place', async () => {
    const version = await admin.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(pinnedKubernetesVersion());
    const role = await admin.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name: 'cluster-admin' });
    expect(role.rules?.[0]?.verbs).toEqual(['*']);
  });

  it('creates a pod, labels it as the worker and isolates it with a NetworkPolicy', async () => {
    await createPod(admin, ns, 'web-1', { labels: { app: 'web' } });
    const labelled = await worker
      .makeApiClient(CoreV1Api)
      .patchNamespacedPod({ name: 'web-1', namespace: ns, body: { metadata: { labels: { [QUARANTINE]: 'true' } } } }, mergePatch);
    expect(labelled.metadata?.labels).toEqual({ app: 'web', [QUARANTINE]: 'true' });

    const net = worker.makeApiClient(NetworkingV1Api);
    await net.createNamespacedNetworkPolicy({ namespace: ns, body: quarantinePolicy('quarantine') });
    const stored = await net.readNamespacedNetworkPolicy({ name: 'quarantine', namespace: ns });
    expect(stored.spec?.podSelector?.matchLabels).toEqual({ [QUARANTINE]: 'true' });
    expect(stored.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('validates objects for real', async () => {
    const net = admin.makeApiClient(NetworkingV1Api);
    const bad = quarantinePolicy('bad-port');
    bad.spec!.ingress = [{ ports: [{ protocol: 'ICMP', port: 80 }] }];
    expect(await statusOf(net.createNamespacedNetworkPolicy({ namespace: ns, body: bad }))).toBe(422);
    expect(await statusOf(createPod(admin, ns, 'Not_A_DNS_Name'))).toBe(422);
  });

  it('server-side dry run (dryRun=All) answers with the result and changes nothing', async () => {
    const core = worker.makeApiClient(CoreV1Api);
    const pod = await createPod(admin, ns, 'web-2', { labels: { app: 'web' } });
    const preview = await core.patchNamespacedPod(
      { name: 'web-2', namespace: ns, dryRun: 'All', body: { metadata: { labels: { [QUARANTINE]: 'true' } } } },
      mergePatch,
    );
    expect(preview.metadata?.labels?.[QUARANTINE]).toBe('true');
    const after = await core.readNamespacedPod({ name: 'web-2', namespace: ns });
    expect(after.metadata?.labels).toEqual({ app: 'web' });
    expect(after.metadata?.resourceVersion).toBe(pod.metadata?.resourceVersion);

    const net = worker.makeApiClient(NetworkingV1Api);
    await net.createNamespacedNetworkPolicy({ namespace: ns, body: quarantinePolicy('dry-run') });
    await net.deleteNamespacedNetworkPolicy({ name: 'dry-run', namespace: ns, dryRun: 'All' });
    expect((await net.readNamespacedNetworkPolicy({ name: 'dry-run', namespace: ns })).metadata?.name).toBe('dry-run');
  });

  it('RBAC refuses the worker what deploy/kubernetes/ does not grant', async () => {
    const core = worker.makeApiClient(CoreV1Api);
    await createPod(admin, ns, 'web-3');
    expect(await statusOf(core.deleteNamespacedPod({ name: 'web-3', namespace: ns }))).toBe(403);
    expect(await statusOf(core.listNamespacedSecret({ namespace: ns }))).toBe(403);
    expect(await statusOf(core.createNamespace({ body: { metadata: { name: 'not-allowed' } } }))).toBe(403);
    // Allowed verbs still work for the same identity: the refusals above are RBAC, not a broken client.
    expect(await statusOf(core.readNamespacedPod({ name: 'web-3', namespace: ns }))).toBe(200);
  });

  it('creates a Deployment with the ReplicaSets its controller would have made', async () => {
    const { deployment, replicaSets } = await createDeployment(admin, ns, 'api', ['registry.example/api:1', 'registry.example/api:2']);
    expect(deployment.metadata?.annotations?.[REVISION_ANNOTATION]).toBe('2');
    expect(deployment.status?.updatedReplicas).toBe(2);
    expect(replicaSets.map((rs) => rs.metadata?.annotations?.[REVISION_ANNOTATION])).toEqual(['1', '2']);
    expect(replicaSets.map((rs) => rs.spec?.replicas)).toEqual([0, 2]);
    // What a playbook walking the owner chain sees: pod -> ReplicaSet -> Deployment.
    const pod = await createPod(admin, ns, 'api-pod', { owner: replicaSets[1] });
    const apps = worker.makeApiClient(AppsV1Api);
    const rs = await apps.readNamespacedReplicaSet({ name: pod.metadata!.ownerReferences![0]!.name, namespace: ns });
    expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'api', controller: true });
    expect(pod.spec?.containers[0]?.image).toBe('registry.example/api:2');
  });
});
