/**
 * rollback-deploy when it must not or cannot roll back, and when the rollout does not come good,
 * against a real kube-apiserver as the worker's ServiceAccount. The deployment controller's part
 * (ReplicaSets, revisions, /status) is played openly by test/support/kube/deployment-controller.ts:
 * only etcd and kube-apiserver run there. Also: an Alertmanager alert routes to the playbook.
 */
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesActivities } from '../activities/kubernetes';
import { classifyKubeError } from '../activities/kubernetes/errors';
import { rollbackPatch } from '../activities/kubernetes/revisions';
import { rolloutState } from '../activities/kubernetes/rollout';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { playbooks } from '../playbooks';
import { alertRoutes } from '../gateway/intake/routes';
import { compileRoutes, findRoute } from '../gateway/intake/routing';
import type { IncidentStatus } from '../workflows';
import { waitForGate } from './support/gates';
import type { Harness } from './support/harness';
import { REVISION, type DeploymentController } from './support/kube/deployment-controller';
import { clientAs, statusOf } from './support/kube/objects';
import { useKubeSuite } from './support/kube/suite';
import { waitFor } from './support/wait';
import { FAILURE_TYPES } from '../workflows/failure-types';

const kube = useKubeSuite({ controller: true, harness: () => ({}) });
const { open } = kube;
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
let h: Harness;
let controller: DeploymentController;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(() => {
  ({ admin, worker, ns, h, controller } = kube);
});

async function deployed(tags: string[] = ['v1', 'v2', 'v3']): Promise<string> {
  const name = `api-${randomBytes(3).toString('hex')}`;
  for (const tag of tags) await controller.deploy(name, { image: `registry.example/api:${tag}` });
  return name;
}

const apps = () => admin.makeApiClient(AppsV1Api);
const imageOf = async (name: string) =>
  (await apps().readNamespacedDeployment({ name, namespace: ns })).spec!.template.spec!.containers[0]!.image;

async function start(deployment: string, params: Record<string, unknown> = {}, requester = 'alice'): Promise<string> {
  const id = await startIncident(
    h.client,
    { playbook: 'rollback-deploy', requester, params: { namespace: ns, deployment, ...params } },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  return id;
}

/** The incident fails; its status says why. */
async function failed(id: string): Promise<IncidentStatus> {
  await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow();
  open.delete(id);
  const s = await getStatus(h.client, id);
  expect(s.state).toBe('failed');
  return s;
}

const quiet = { logger: new DefaultLogger('ERROR') };

/** The names of the ReplicaSets at these revisions. */
async function replicaSetNames(name: string, ...revisions: string[]): Promise<string[]> {
  const replicaSets = await controller.replicaSets(name);
  return revisions.map((r) => replicaSets.find((rs) => rs.metadata!.annotations![REVISION] === r)!.metadata!.name!);
}

const progressingOf = async (name: string) =>
  (await apps().readNamespacedDeployment({ name, namespace: ns })).status?.conditions?.find((c) => c.type === 'Progressing');

/** What the pending rollout wait last heartbeated (its latest poll, as the server has it), if it is pending. */
async function waitProgress(id: string): Promise<{ polls: number; status: string } | undefined> {
  const { raw } = await h.client.workflow.getHandle(id).describe();
  const payload = raw.pendingActivities?.find((a) => a.activityType?.name === 'kubeAwaitRollout')?.heartbeatDetails?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload as Payload) : undefined;
}

describe('refused before anyone is asked', () => {
  it('a paused deployment', async () => {
    const name = await deployed();
    await apps().patchNamespacedDeployment({ name, namespace: ns, body: { spec: { paused: true } } }, mergePatch);
    const s = await failed(await start(name));
    expect(s.outcome).toMatch(
      new RegExp(
        `deployment ${ns}/${name} is paused: a paused deployment cannot be rolled back; resume it first \\(kubectl rollout resume deployment/${name} -n ${ns}\\)`,
      ),
    );
    expect(s.gates).toEqual([]);
    expect(s.evidence[0]!.facts).toMatchObject({ paused: true, refusalType: FAILURE_TYPES.DeploymentPaused, targetRevision: 2 });
    expect(await imageOf(name)).toBe('registry.example/api:v3');
  });

  it('a paused deployment that already runs the target revision: refused as kubectl does, not "skipped"', async () => {
    const name = await deployed();
    await apps().patchNamespacedDeployment({ name, namespace: ns, body: { spec: { paused: true } } }, mergePatch);
    const s = await failed(await start(name, { toRevision: 3 }));
    expect(s.outcome).toContain(`deployment ${ns}/${name} is paused: a paused deployment cannot be rolled back; resume it first`);
    expect(s.gates).toEqual([]);
    expect(s.evidence[0]!.facts).toMatchObject({
      paused: true,
      alreadyAtTarget: true,
      refusalType: FAILURE_TYPES.DeploymentPaused,
      targetRevision: 3,
    });
    expect((await getTimeline(h.client, s.id)).some((e) => e.kind === 'verify.passed')).toBe(false);
  });

  it('a revision that is not in the history', async () => {
    const name = await deployed();
    const s = await failed(await start(name, { toRevision: 9 }));
    expect(s.outcome).toContain(`unable to find specified revision 9 in the history of deployment ${ns}/${name} (revisions: 1, 2, 3)`);
    expect(s.gates).toEqual([]);
  });

  it('a deployment with a single revision', async () => {
    const name = await deployed(['v1']);
    const s = await failed(await start(name));
    expect(s.outcome).toContain(`no rollout history found for deployment ${ns}/${name}: nothing to roll back to`);
  });

  it("a deployment that does not exist (404), with the API server's message", async () => {
    const s = await failed(await start('no-such-deployment'));
    expect(s.outcome).toMatch(
      new RegExp(`Kubernetes refused reading deployment ${ns}/no-such-deployment: 404 deployments.apps "no-such-deployment" not found`),
    );
    expect(s.gates).toEqual([]);
  });
});

describe('API failures', () => {
  it('403: an identity without the RBAC is refused at once, saying so', async () => {
    const name = await deployed(['v1', 'v2']);
    await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const nobody = await clientAs(admin, ns, 'nobody');
    const unprivileged = createKubernetesActivities({ kubernetes: { kubeConfig: nobody }, store: h.deps.store });
    const env = new MockActivityEnvironment({}, quiet);
    const evidence = env.run(unprivileged.kubeDeploymentHistory, {
      incidentId: 'inc-403',
      name: 'history',
      mode: 'live' as const,
      input: { namespace: ns, deployment: name },
    });
    await expect(evidence).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(
        /^Kubernetes refused reading deployment .*: 403 .*forbidden.*\(check the worker has the RBAC in deploy\/kubernetes\/\)/,
      ),
    });
  });

  it('409: the patch is conditional, so a deployment changed since it was read is a conflict, retried', async () => {
    const name = await deployed();
    const workerApps = worker.makeApiClient(AppsV1Api);
    const stale = await workerApps.readNamespacedDeployment({ name, namespace: ns });
    const previous = (await controller.replicaSets(name)).find((rs) => rs.metadata!.annotations![REVISION] === '2')!;
    await controller.deploy(name, { image: 'registry.example/api:v4' });
    const patch = workerApps.patchNamespacedDeployment(
      { name, namespace: ns, body: rollbackPatch(stale, previous) },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const err = await patch.catch((e: unknown) => e);
    expect(await statusOf(Promise.reject(err))).toBe(409);
    expect(classifyKubeError(err, 'rolling back')).toMatchObject({ nonRetryable: false, type: FAILURE_TYPES.KubernetesUnavailable });
    expect(await imageOf(name)).toBe('registry.example/api:v4');
  });
});

describe('a rollout that does not come good', () => {
  it('fails verification at the deadline when the restored replicas never become available', async () => {
    const name = await deployed();
    controller.behave(name, 'stuck');
    const id = await start(name, { rolloutTimeoutSeconds: 5 });
    await waitForGate(h.client, id);
    const approvedAt = Date.now();
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const s = await failed(id);
    const waited = Date.now() - approvedAt;
    expect(s.outcome).toMatch(
      new RegExp(
        `deployment ${ns}/${name} did not finish rolling out within 5s: 0 of 2 updated replicas of deployment ${ns}/${name} are available`,
      ),
    );
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(s.clock.contained_at).toBeUndefined();
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'verify.failed')!.details).toMatchObject({ polls: expect.any(Number), resumed: false });
    // The rollback itself happened and stays: rolling forward again is a person's call.
    expect(await imageOf(name)).toBe('registry.example/api:v2');
    expect(timeline.some((e) => e.kind.startsWith('compensation.'))).toBe(false);
  });

  it('fails verification at once when the controller reports ProgressDeadlineExceeded about the restored ReplicaSet', async () => {
    // The bad rollout timed out, and so does the rollback: the second condition is the rollback's own.
    const name = await deployed(['v1', 'v2']);
    controller.behave(name, 'progress-deadline');
    await controller.deploy(name, { image: 'registry.example/api:v3' });
    const [restored, bad] = await replicaSetNames(name, '2', '3');
    expect(await progressingOf(name)).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${bad}" has timed out progressing.`,
    });
    const id = await start(name, { rolloutTimeoutSeconds: 120 });
    await waitForGate(h.client, id);
    const approvedAt = Date.now();
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const s = await failed(id);
    expect(s.outcome).toContain(
      `deployment ${ns}/${name} exceeded its progress deadline: ReplicaSet "${restored}" has timed out progressing.`,
    );
    expect(Date.now() - approvedAt).toBeLessThan(60_000);
  });

  it('keeps waiting through a stale ProgressDeadlineExceeded of the bad rollout, and passes once the rollback rolls out', async () => {
    const name = await deployed(['v1', 'v2']);
    controller.behave(name, 'progress-deadline');
    await controller.deploy(name, { image: 'registry.example/api:v3' });
    const [, bad] = await replicaSetNames(name, '2', '3');
    // As the real controller does, the condition about the bad ReplicaSet stays until the rollback progresses.
    controller.behave(name, 'stale-deadline');
    await controller.settled(name);
    const id = await start(name, { rolloutTimeoutSeconds: 120 });
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    // The rollback observed by the controller, the stale condition still there...
    await waitFor('the controller to observe the rollback', async () => {
      const d = await controller.settled(name);
      return d.spec!.template.spec!.containers[0]!.image === 'registry.example/api:v2' && d;
    });
    expect(await progressingOf(name)).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${bad}" has timed out progressing.`,
    });
    // ...and the wait, having seen it, is still waiting for the replicas rather than failing.
    await waitFor(
      'the rollout wait to poll the observed rollback',
      async () => {
        const progress = await waitProgress(id);
        if (!progress) {
          const s = await getStatus(h.client, id);
          if (s.state === 'failed') throw new Error(`the incident failed: ${s.outcome}`);
        }
        return progress?.status === `0 of 2 updated replicas of deployment ${ns}/${name} are available`;
      },
      { timeoutMs: 30_000 },
    );
    controller.behave(name, 'healthy');
    const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
    open.delete(id);
    expect(final.state).toBe('resolved');
    const passed = (await getTimeline(h.client, id)).filter((e) => e.kind === 'verify.passed').map((e) => e.summary);
    expect(passed[0]).toBe(
      `rollout of deployment ${ns}/${name}: deployment ${ns}/${name} successfully rolled out (2 of 2 replicas available)`,
    );
    expect(await imageOf(name)).toBe('registry.example/api:v2');
  });

  it('takes a ProgressDeadlineExceeded as final only when it is about the target ReplicaSet or newer than the patch', () => {
    const patchedAt = '2030-01-01T10:00:00.400Z';
    const at = (lastUpdateTime: string, message: string): V1Deployment => ({
      metadata: { namespace: 'shop', name: 'api', generation: 4 },
      spec: { replicas: 2, selector: {}, template: {} },
      status: {
        observedGeneration: 4,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 0,
        conditions: [
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message, lastUpdateTime: new Date(lastUpdateTime) },
        ],
      },
    });
    const other = 'ReplicaSet "api-bad" has timed out progressing.';
    const mine = 'ReplicaSet "api-good" has timed out progressing.';
    const scope = { replicaSet: 'api-good', patchedAt };
    expect(rolloutState(at('2030-01-01T09:50:00Z', other), scope)).toMatchObject({
      failed: false,
      message: '0 of 2 updated replicas of deployment shop/api are available',
    });
    // The same second as the patch is not after it (the API keeps whole seconds).
    expect(rolloutState(at('2030-01-01T10:00:00Z', other), scope)).toMatchObject({ failed: false });
    expect(rolloutState(at('2030-01-01T10:00:01Z', other), scope)).toMatchObject({ failed: true });
    expect(rolloutState(at('2030-01-01T09:50:00Z', mine), scope)).toMatchObject({
      failed: true,
      message: `deployment shop/api exceeded its progress deadline: ${mine}`,
    });
    expect(rolloutState(at('2030-01-01T10:00:01Z', other), { replicaSet: 'api-good' })).toMatchObject({ failed: false });
    // Without a scope, kubectl's rule: any is final.
    expect(rolloutState(at('2030-01-01T09:50:00Z', other))).toMatchObject({ failed: true });
  });
});

describe('started by Alertmanager', () => {
  it('an alert labelled tourniquet_playbook=rollback-deploy opens a rollback of its deployment', async () => {
    const name = await deployed(['v1', 'v2']);
    const routes = compileRoutes(alertRoutes, playbooks);
    const alert = {
      source: 'alertmanager' as const,
      fields: {
        alertname: 'ApiErrorBudgetBurn',
        severity: 'page',
        tourniquet_playbook: 'rollback-deploy',
        namespace: ns,
        deployment: name,
      },
    };
    const route = findRoute(routes, alert)!;
    expect(route.name).toBe('am-rollback-deploy');
    const rendered = route.render(alert);
    expect(rendered).toEqual({
      params: { namespace: ns, deployment: name },
      title: `ApiErrorBudgetBurn: roll back deployment ${ns}/${name}`,
      missing: [],
    });
    expect(playbooks['rollback-deploy']!.params.safeParse(rendered.params).success).toBe(true);
    // Without the label, the same alert rolls nothing back.
    expect(findRoute(routes, { ...alert, fields: { ...alert.fields, tourniquet_playbook: '' } })?.playbook).not.toBe('rollback-deploy');

    const id = await startIncident(
      h.client,
      { playbook: route.playbook, requester: 'alertmanager', params: rendered.params, title: rendered.title! },
      { taskQueue: h.taskQueue },
    );
    open.add(id);
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
    open.delete(id);
    expect(final.state).toBe('resolved');
    expect(await imageOf(name)).toBe('registry.example/api:v1');
  });
});
