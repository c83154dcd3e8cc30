/**
 * rollback-deploy across worker crashes: the real worker process (configured from the environment,
 * KUBECONFIG holding the worker ServiceAccount's credentials, as deployed outside a cluster) is
 * SIGKILLed while the incident waits for approval, and again while it waits for the rollout. The
 * same incident goes on after a restart, and the Deployment is patched exactly once.
 *
 * The deployment controller's part (ReplicaSets, revisions, /status) is played openly by
 * test/support/kube/deployment-controller.ts: the test control plane runs no controller-manager.
 */
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { decide, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { waitForGate } from './support/gates';
import type { Harness } from './support/harness';
import type { DeploymentController } from './support/kube/deployment-controller';
import { useKubeSuite } from './support/kube/suite';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';

const kube = useKubeSuite({ controller: true, harness: () => ({ worker: false }) });
let admin: KubeConfig;
let ns: string;
let h: Harness;
let controller: DeploymentController;
let kubeconfigPath: string;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  ({ admin, ns, h, controller } = kube);
  kubeconfigPath = join(h.dir, 'worker.kubeconfig');
  await writeFile(kubeconfigPath, kube.worker.exportConfig(), { mode: 0o600 });
});

afterEach(async () => {
  await worker?.kill();
  worker = undefined;
});

afterAll(async () => {
  await worker?.kill();
});

const startWorker = () => spawnWorker(h, { KUBECONFIG: kubeconfigPath });

async function deployed(name: string): Promise<void> {
  for (const tag of ['v1', 'v2', 'v3']) await controller.deploy(name, { image: `registry.example/${name}:${tag}` });
}

async function resolvedOnce(id: string, name: string, reconciledBefore: number): Promise<IncidentStatus> {
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  const d = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: ns });
  expect(d.spec!.template.spec!.containers[0]!.image).toBe(`registry.example/${name}:v2`);
  expect(controller.reconciled(name)).toBe(reconciledBefore + 1);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  expect(timeline.filter((e) => e.kind === 'action.completed')).toHaveLength(1);
  return final;
}

it('a worker killed while the incident waits for approval: after restart it rolls back exactly once', async () => {
  await deployed('cart');
  worker = startWorker();
  const id = await startIncident(
    h.client,
    { playbook: 'rollback-deploy', requester: 'alice', params: { namespace: ns, deployment: 'cart' } },
    { taskQueue: h.taskQueue },
  );
  const before = await waitForGate(h.client, id, { timeoutMs: 45_000 });
  const reconciledBefore = controller.reconciled('cart');

  await worker.kill();
  worker = startWorker();

  const applied = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', validForMs: 30_000 });
  expect(applied).toMatchObject({ applied: true, result: { status: 'approved' } });
  const final = await resolvedOnce(id, 'cart', reconciledBefore);
  expect(final.evidence.map((e) => e.name)).toEqual(before.evidence.map((e) => e.name));
});

it('a worker killed while it waits for the rollout: another attempt resumes the wait (same deadline), no second patch', async () => {
  await deployed('till');
  controller.behave('till', 'stuck');
  worker = startWorker();
  const id = await startIncident(
    h.client,
    { playbook: 'rollback-deploy', requester: 'alice', params: { namespace: ns, deployment: 'till', rolloutTimeoutSeconds: 120 } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, id, { timeoutMs: 45_000 });
  const reconciledBefore = controller.reconciled('till');
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  // Rolled back, and the rollout wait (heartbeating) under way on this worker.
  await waitFor('the rollback to land', async () => (await getTimeline(h.client, id)).some((e) => e.kind === 'action.completed'), {
    timeoutMs: 45_000,
  });
  await waitFor('the rollout wait to heartbeat', async () => {
    const { raw } = await h.client.workflow.getHandle(id).describe();
    return raw.pendingActivities?.some((a) => a.activityType?.name === 'kubeAwaitRollout' && a.heartbeatDetails) ?? false;
  });

  await worker.kill();
  controller.behave('till', 'healthy');
  worker = startWorker();

  // The killed attempt is noticed at its 15 s heartbeat timeout; the retry carries on from its details.
  const final = await resolvedOnce(id, 'till', reconciledBefore);
  expect(final.clock.contained_at).toBeDefined();
  const rollout = (await getTimeline(h.client, id)).find((e) => e.kind === 'verify.passed' && e.summary.startsWith('rollout of'))!;
  expect(rollout.details).toMatchObject({ resumed: true });
  expect(rollout.details!.waitedMs as number).toBeGreaterThan(10_000);
});
