/**
 * Applies the project's own manifests (deploy/kubernetes/) to a test control plane, so the suites
 * run as the worker with exactly the permissions an operator would grant it.
 */
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { grantBinding } from '../../../activities/kubernetes/break-glass';
import { projectRoot } from '../../../tools/temporal-binaries';
import { answerOf, clientAs, statusOf } from './objects';
import { waitFor } from '../wait';

export const MANIFEST_DIR = join(projectRoot, 'deploy', 'kubernetes');
export const WORKER = { namespace: 'tourniquet', serviceAccount: 'tourniquet-worker' } as const;
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'tourniquet' } as const;

/** Every object of every .yaml file in the folder, in file-name then document order. */
export function loadManifests(dir = MANIFEST_DIR): KubernetesObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), 'utf8')) as KubernetesObject[])
    .filter(Boolean);
}

/** Server-side apply, as `kubectl apply --server-side` would: namespaces first, then the rest. */
export async function applyManifests(kc: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const ordered = [...objects].sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  for (const object of ordered) {
    await api.patch(object, undefined, undefined, 'tourniquet-tests', true, PatchStrategy.ServerSideApply);
  }
}

/**
 * Applies deploy/kubernetes/ and returns a client authenticated as the worker's ServiceAccount.
 * Admission policies take effect a moment after they are stored (the API server's informer has to
 * see them, in the order they were applied), so this waits until the last one applied
 * (pod-labels-only, at the end of worker-guard.yaml) refuses a worker request (dry run; nothing is
 * written). A policy with parameters (the break-glass limits, read from the catalogue
 * ClusterRoles) refuses everything until its parameters' informer has synced, so this then waits
 * until a grant as the playbook makes it passes.
 */
export async function applyWorkerManifests(admin: KubeConfig): Promise<KubeConfig> {
  await applyManifests(admin, loadManifests());
  const worker = await clientAs(admin, WORKER.namespace, WORKER.serviceAccount);
  const core = worker.makeApiClient(CoreV1Api);
  // Not the worker's own namespace: every write there is refused, by the first policy of the file.
  const namespace = 'default';
  const pod = await admin.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace,
    body: { metadata: { name: 'admission-probe' }, spec: { containers: [{ name: 'c', image: 'registry.example/probe:1' }] } },
  });
  await waitFor(
    'the worker admission policies to be enforced',
    async () => {
      const status = await statusOf(
        core.patchNamespacedPod({
          name: pod.metadata!.name!,
          namespace,
          dryRun: 'All',
          body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'registry.example/probe:2' }],
        }),
      );
      return status !== 200;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: pod.metadata!.name!, namespace });
  const args = {
    binding: 'tourniquet-breakglass-000000000000',
    clusterRole: 'tourniquet-breakglass-view',
    user: 'probe',
    namespace,
    durationMs: 60_000,
  };
  const grant = grantBinding('admission-probe', args, Date.now() + 60_000, ['probe']) as V1RoleBinding;
  const rbac = worker.makeApiClient(RbacAuthorizationV1Api);
  let refusal = '';
  await waitFor(
    'the break-glass limits to read the catalogue roles',
    async () => {
      const answer = await answerOf(rbac.createNamespacedRoleBinding({ namespace, body: grant, dryRun: 'All' }));
      refusal = answer.message;
      return answer.status === 200;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the last refusal: ${refusal}`);
  });
  return worker;
}
