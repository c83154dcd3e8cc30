/**
 * The rollback-deploy playbook end to end against a real kube-apiserver (test/support/kube/), the
 * worker calling it as its own ServiceAccount with the RBAC of deploy/kubernetes/.
 *
 * No controller-manager or kubelet runs there, so the deployment controller's part is played
 * openly by test/support/kube/deployment-controller.ts: it makes the ReplicaSets (revision
 * annotations, pod-template-hash labels, controller owner references), renumbers the one a
 * rollback reuses, and writes the Deployment's /status as the rollout goes; `runPods` plays the
 * kubelet where a test needs image digests. Everything the worker does, it does over the API.
 */
import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesActivities } from '../activities/kubernetes';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { FAILURE_TYPES } from '../workflows/failure-types';
import { waitForGate } from './support/gates';
import { approved } from './support/github-leaks';
import type { Harness } from './support/harness';
import { REVISION, runPods, type DeploymentController } from './support/kube/deployment-controller';
import { useKubeSuite } from './support/kube/suite';

const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const kube = useKubeSuite({ controller: true, harness: () => ({}) });
const { open, finished } = kube;
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
let h: Harness;
let controller: DeploymentController;

beforeAll(() => {
  ({ admin, worker, ns, h, controller } = kube);
});

/** A Deployment rolled out once per image, oldest first, as CI would have done it. */
async function deployed(images: string[] = ['v1', 'v2', 'v3']): Promise<string> {
  const name = `shop-${randomBytes(3).toString('hex')}`;
  for (const tag of images) await controller.deploy(name, { image: `registry.example/shop:${tag}` });
  return name;
}

const read = (name: string) => admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: ns });
const imageOf = async (name: string) => (await read(name)).spec!.template.spec!.containers[0]!.image;

async function start(deployment: string, options: { mode?: 'live' | 'drill'; params?: Record<string, unknown> } = {}) {
  const id = await startIncident(
    h.client,
    {
      playbook: 'rollback-deploy',
      requester: 'alice',
      mode: options.mode ?? 'live',
      params: { namespace: ns, deployment, ...options.params },
      alerts: [{ source: 'alertmanager', title: 'ErrorBudgetBurn' }],
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  return id;
}

const quiet = { logger: new DefaultLogger('ERROR') };
const acts = () => createKubernetesActivities({ kubernetes: { kubeConfig: worker }, store: h.deps.store });

describe('rollback-deploy', () => {
  it('records the history, rolls back to the previous revision once approved, waits for the rollout, verifies', async () => {
    const name = await deployed();
    const current = (await controller.replicaSets(name)).find((rs) => rs.metadata!.annotations![REVISION] === '3')!;
    await runPods(admin, ns, current, 2, DIGEST);
    const before = await read(name);
    const id = await start(name);
    const status = await waitForGate(h.client, id);

    const gate = status.gates[0]!;
    expect(gate).toMatchObject({ action: 'kubeRollbackDeployment', target: `deployments/${ns}/${name}`, risk: 'high', policy: 'standard' });
    expect(gate.step).toBe(
      `Roll back deployment ${ns}/${name} from revision 3 (app=registry.example/shop:v3) to revision 2 (app=registry.example/shop:v2), as kubectl rollout undo does`,
    );
    const [history] = status.evidence;
    expect(history!.facts).toMatchObject({
      currentRevision: 3,
      targetRevision: 2,
      paused: false,
      alreadyAtTarget: false,
      refusal: null,
      currentImages: 'app=registry.example/shop:v3',
      targetImages: 'app=registry.example/shop:v2',
      currentDigests: `app=registry.example/shop@${DIGEST} (2 pods)`,
    });
    const artifact = JSON.parse((await h.deps.store.get(history!.uri)).toString());
    expect(artifact.revisions.map((r: { revision: number; images: string }) => `${r.revision}:${r.images}`)).toEqual([
      '1:app=registry.example/shop:v1',
      '2:app=registry.example/shop:v2',
      '3:app=registry.example/shop:v3',
    ]);
    expect(artifact.pods).toHaveLength(2);
    expect(await imageOf(name)).toBe('registry.example/shop:v3');

    const reconciledBefore = controller.reconciled(name);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.clock.contained_at).toBeDefined();
    expect(final.clock.durations.time_to_contain_ms).toBeGreaterThan(0);

    const after = await read(name);
    expect(after.spec!.template.spec!.containers[0]!.image).toBe('registry.example/shop:v2');
    expect(after.spec!.template.metadata!.labels).toEqual({ app: name });
    // One patch (the controller's revision annotation bumps the generation once more, as a real one's does).
    expect(controller.reconciled(name)).toBe(reconciledBefore + 1);
    // The controller reused revision 2's ReplicaSet and made it the newest revision, as it does after `kubectl rollout undo`.
    expect(after.metadata!.annotations![REVISION]).toBe('4');
    const reused = (await controller.replicaSets(name)).find((rs) => rs.metadata!.annotations![REVISION] === '4')!;
    expect(reused.spec!.template!.spec!.containers[0]!.image).toBe('registry.example/shop:v2');

    const timeline = await getTimeline(h.client, id);
    const kinds = timeline.map((e) => e.kind);
    for (const kind of [
      'evidence.recorded',
      'approval.requested',
      'approval.vote',
      'approval.closed',
      'action.started',
      'action.completed',
      'verify.passed',
      'incident.contained',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(kinds.indexOf('evidence.recorded')).toBeLessThan(kinds.indexOf('approval.requested'));
    expect(kinds.indexOf('action.completed')).toBeLessThan(kinds.indexOf('incident.contained'));
    const completed = timeline.find((e) => e.kind === 'action.completed')!;
    expect(completed.summary).toBe(
      `Rolled back deployment ${ns}/${name} from revision 3 to revision 2 (app=registry.example/shop:v2), approved by bob`,
    );
    expect(completed.details).toMatchObject({
      changed: true,
      details: { generation: before.metadata!.generation! + 1, fromRevision: 3, toRevision: 2 },
    });
    const verified = timeline.filter((e) => e.kind === 'verify.passed').map((e) => e.summary);
    expect(verified[0]).toMatch(
      new RegExp(`^rollout of deployment ${ns}/${name}: deployment ${ns}/${name} successfully rolled out \\(2 of 2 replicas available\\)$`),
    );
    expect(verified[1]).toMatch(/runs the template of revision 2 \(ReplicaSet .*, now revision 4\): app=registry.example\/shop:v2/);
    expect(timeline.find((e) => e.kind === 'incident.contained')!.details).toMatchObject({ time_to_contain_ms: expect.any(Number) });

    // A retry of the action after it landed (a crash before it reported back): it patches nothing,
    // and reports the rollback as this incident's (the target was renumbered above revision 3).
    const args = { namespace: ns, deployment: name, fromRevision: 3, toRevision: 2, replicaSet: reused.metadata!.name! };
    const env = new MockActivityEnvironment({ activityType: 'kubeRollbackDeployment' }, quiet);
    const again = await env.run(
      acts().kubeRollbackDeployment,
      approved('kubeRollbackDeployment', `deployments/${ns}/${name}`, args, { incidentId: id }),
    );
    expect(again).toMatchObject({
      changed: true,
      summary: `Rolled back deployment ${ns}/${name} from revision 3 to revision 2 (app=registry.example/shop:v2), approved by bob; the patch had landed before this retry (ReplicaSet ${reused.metadata!.name!} is revision 4 now)`,
      details: { landedBefore: true, revisionNow: 4 },
    });
    // Approved from a revision the target is not above: it was already there, which is kubectl's "skipped rollback".
    const skipped = await new MockActivityEnvironment({ activityType: 'kubeRollbackDeployment' }, quiet).run(
      acts().kubeRollbackDeployment,
      approved('kubeRollbackDeployment', `deployments/${ns}/${name}`, { ...args, fromRevision: 4 }, { incidentId: id }),
    );
    expect(skipped).toMatchObject({
      changed: false,
      summary: expect.stringMatching(/^skipped rollback: deployment .* already runs the template of revision 2/),
    });
    expect((await read(name)).metadata!.generation).toBe(after.metadata!.generation);

    // A new run right after (the error-rate alert still firing) would undo that rollback, re-deploying
    // the bad revision (kubectl's semantics): refused before anyone is asked, and recorded.
    const undo = await start(name);
    await h.client.workflow
      .getHandle(undo)
      .result()
      .catch(() => undefined);
    open.delete(undo);
    const refused = await getStatus(h.client, undo);
    expect(refused.state).toBe('failed');
    expect(refused.outcome).toBe(
      `revision 4 of deployment ${ns}/${name} is itself a rollback (it re-deployed revision 2); rolling it back would re-deploy what that rollback removed: refused. ` +
        'A person who means it starts rollback-deploy with --param undoRollback=true, or names --param toRevision=N',
    );
    expect(refused.gates).toEqual([]);
    expect(refused.evidence.map((e) => e.name)).toEqual([
      `deployment ${ns}/${name}: spec, status, revision history (ReplicaSets), images and digests`,
    ]);
    expect(await imageOf(name)).toBe('registry.example/shop:v2');

    // A person who asks for it explicitly gets the gate, which says what it undoes.
    const next = await waitForGate(h.client, await start(name, { params: { undoRollback: true } }));
    expect(next.gates[0]!.step).toMatch(
      /from revision 4 \(app=registry.example\/shop:v2\) to revision 3 \(app=registry.example\/shop:v3\), as kubectl rollout undo does; note: revision 4 itself re-deployed revision 2, so this undoes that rollback$/,
    );
  });

  it('leaves the deployment alone when an approver denies', async () => {
    const name = await deployed();
    const before = await read(name);
    const id = await start(name);
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test', reason: 'the alert is a false positive' });
    const final = await finished(id);
    expect(final.state).toBe('denied');
    const after = await read(name);
    expect(after.metadata!.generation).toBe(before.metadata!.generation);
    expect(after.spec!.template.spec!.containers[0]!.image).toBe('registry.example/shop:v3');
    expect((await getTimeline(h.client, id)).some((e) => e.kind === 'action.started')).toBe(false);
  });

  it('in a drill, asks for approval (marked DRILL), dry-runs the patch on the server and changes nothing', async () => {
    const name = await deployed();
    const before = await read(name);
    const id = await start(name, { mode: 'drill' });
    await waitForGate(h.client, id);
    expect(h.notifier.of(id, 'approval.requested')[0]!.incident.mode).toBe('drill');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'incident.started')!.summary).toMatch(/^DRILL /);
    expect(timeline.find((e) => e.kind === 'action.started')!.summary).toMatch(/^DRILL Roll back deployment/);
    expect(timeline.find((e) => e.kind === 'action.completed')!.summary).toBe(
      `DRILL: would roll back deployment ${ns}/${name} from revision 3 to revision 2 (app=registry.example/shop:v2); the API server accepted the patch as a dry run`,
    );
    expect(timeline.filter((e) => e.kind === 'verify.passed').map((e) => e.summary)).toEqual([
      expect.stringMatching(/^rollout of deployment .*: DRILL: .* was not changed, so nothing rolls out/),
      expect.stringMatching(/DRILL: deployment .* was not changed \(dry run\); it still runs app=registry.example\/shop:v3$/),
    ]);
    const after = await read(name);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    expect(after.spec!.template.spec!.containers[0]!.image).toBe('registry.example/shop:v3');
  });

  it('rolls back to an explicitly named revision', async () => {
    const name = await deployed();
    const id = await start(name, { params: { toRevision: 1 } });
    const status = await waitForGate(h.client, id);
    expect(status.gates[0]!.step).toMatch(
      /from revision 3 \(app=registry.example\/shop:v3\) to revision 1 \(app=registry.example\/shop:v1\)/,
    );
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(await imageOf(name)).toBe('registry.example/shop:v1');
    expect((await read(name)).metadata!.annotations![REVISION]).toBe('4');
  });

  it('asks nobody and changes nothing when the deployment already runs the target revision (kubectl\'s "skipped rollback")', async () => {
    const name = await deployed();
    const before = await read(name);
    const id = await start(name, { params: { toRevision: 3 } });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.gates).toEqual([]);
    expect(final.clock.contained_at).toBeUndefined();
    const passed = (await getTimeline(h.client, id)).find((e) => e.kind === 'verify.passed')!;
    expect(passed.summary).toMatch(
      new RegExp(`^skipped rollback: deployment ${ns}/${name} already runs the template of revision 3: .*runs the template of revision 3`),
    );
    expect((await read(name)).metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
  });

  it('does nothing when the deployment moved to another revision while the approval was pending', async () => {
    const name = await deployed();
    const id = await start(name);
    await waitForGate(h.client, id);
    await controller.deploy(name, { image: 'registry.example/shop:v4-hotfix' });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow();
    open.delete(id);
    const s = await getStatus(h.client, id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toContain(
      `deployment ${ns}/${name} changed since the approval: it runs app=registry.example/shop:v4-hotfix now (revision 4), not the approved template of revision 3: nothing done`,
    );
    expect(await imageOf(name)).toBe('registry.example/shop:v4-hotfix');
  });

  it('does nothing when a template was pushed while the approval was pending, even before the controller saw it', async () => {
    const name = await deployed();
    const id = await start(name);
    const status = await waitForGate(h.client, id);
    expect(status.gates[0]!.args).toMatchObject({ fromRevision: 3, fromTemplate: status.evidence[0]!.facts!.currentTemplate });
    // The controller lags: the hotfix is in the template, but the revision annotation still says 3.
    controller.lag(name);
    try {
      await admin.makeApiClient(AppsV1Api).patchNamespacedDeployment(
        {
          name,
          namespace: ns,
          body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example/shop:v4-hotfix' }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      expect((await read(name)).metadata!.annotations![REVISION]).toBe('3');
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow();
      open.delete(id);
      const s = await getStatus(h.client, id);
      expect(s.outcome).toContain(
        `deployment ${ns}/${name} changed since the approval: it runs app=registry.example/shop:v4-hotfix now (revision 3), not the approved template of revision 3: nothing done`,
      );
      expect(await imageOf(name)).toBe('registry.example/shop:v4-hotfix');

      // Approved with no revision known (no annotation, no ReplicaSet of the template): the template still decides.
      const approvedArgs = status.gates[0]!.args as { fromTemplate: string; replicaSet: string };
      const args = {
        namespace: ns,
        deployment: name,
        fromRevision: null,
        fromTemplate: approvedArgs.fromTemplate,
        toRevision: 2,
        replicaSet: approvedArgs.replicaSet,
      };
      const env = new MockActivityEnvironment({ activityType: 'kubeRollbackDeployment' }, quiet);
      await expect(
        env.run(acts().kubeRollbackDeployment, approved('kubeRollbackDeployment', `deployments/${ns}/${name}`, args)),
      ).rejects.toMatchObject({ type: FAILURE_TYPES.DeploymentChanged, nonRetryable: true });
      expect(await imageOf(name)).toBe('registry.example/shop:v4-hotfix');
    } finally {
      controller.lag(name, false);
    }
  });
});
