/**
 * Applies the project's own manifests (deploy/kubernetes/) to a test control plane, so the suites
 * run as the worker with exactly the permissions an operator would grant it.
 */
import {
  CoreV1Api, KubernetesObjectApi, PatchStrategy, loadAllYaml,
  type KubeConfig, type KubernetesObject,
} from '@kubernetes/client-node';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../tools/temporal-binaries';
import { clientAs, statusOf } from './objects';
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
 * see them), so this waits until one refuses a worker request (dry run; nothing is written).
 */
export async function applyWorkerManifests(admin: KubeConfig): Promise<KubeConfig> {
  await applyManifests(admin, loadManifests());
  const worker = await clientAs(admin, WORKER.namespace, WORKER.serviceAccount);
  const core = worker.makeApiClient(CoreV1Api);
  const pod = await admin.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: WORKER.namespace,
    body: { metadata: { name: 'admission-probe' }, spec: { containers: [{ name: 'c', image: 'registry.example/probe:1' }] } },
  });
  await waitFor('the worker admission policies to be enforced', async () => {
    const status = await statusOf(core.patchNamespacedPod({
      name: pod.metadata!.name!, namespace: WORKER.namespace, dryRun: 'All',
      body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'registry.example/probe:2' }],
    }));
    return status !== 200;
  }, { timeoutMs: 20_000, intervalMs: 200 });
  await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: pod.metadata!.name!, namespace: WORKER.namespace });
  return worker;
}
