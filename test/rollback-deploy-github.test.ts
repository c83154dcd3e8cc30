/**
 * rollback-deploy's GitHub deployment statuses, against the strict fake GitHub (every request
 * checked against @octokit/openapi, answers real-shaped) and a real kube-apiserver as the worker's
 * ServiceAccount. Each revision's commit is in its pod template (tourniquet.io/git-sha), as CI puts
 * it there; the fake holds the GitHub deployments CI created for those commits. The deployment
 * controller's part is played openly by test/support/kube/deployment-controller.ts (no
 * controller-manager runs on the test control plane).
 */
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubActivities, createGitHubDeps } from '../activities/github';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { approved } from './support/github-leaks';
import type { Harness } from './support/harness';
import type { DeploymentController } from './support/kube/deployment-controller';
import { useKubeSuite } from './support/kube/suite';
import { waitFor } from './support/wait';
import { FAILURE_TYPES } from '../workflows/failure-types';

const REPO = 'acme/shop';
const ENV = 'staging';
const incidentUrl = (id: string) => `https://tourniquet.example/incidents/${id}`;
let fake: FakeGitHub;
const kube = useKubeSuite({
  setup: async () => {
    fake = await startFakeGitHub();
    await fake.addRepo(REPO);
  },
  controller: true,
  harness: () => ({ github: { token: fake.appToken, apiUrl: fake.url }, incidentUrl }),
  teardown: async () => fake?.stop(),
});
const { open, finished } = kube;
let admin: KubeConfig;
let ns: string;
let h: Harness;
let controller: DeploymentController;
beforeAll(() => {
  ({ admin, ns, h, controller } = kube);
});

afterEach(async () => {
  await kube.cancelOpen();
  expect(fake.rejections).toEqual([]);
  expect(fake.problems).toEqual([]);
});

const commit = (text: string) => createHash('sha1').update(text).digest('hex');

/** Three revisions, each with its commit annotated, and the GitHub deployments CI made of them. */
async function deployed(): Promise<{ name: string; ids: number[]; shas: string[] }> {
  const name = `shop-${randomBytes(3).toString('hex')}`;
  const shas = ['v1', 'v2', 'v3'].map((tag) => commit(`${name}:${tag}`));
  const ids: number[] = [];
  for (const [i, sha] of shas.entries()) {
    await controller.deploy(name, { image: `registry.example/shop:v${i + 1}`, annotations: { 'tourniquet.io/git-sha': sha } });
    ids.push(fake.addDeployment(REPO, { sha, environment: ENV, state: 'success' }));
  }
  return { name, ids, shas };
}

async function start(name: string, options: { mode?: 'live' | 'drill'; environment?: string } = {}): Promise<string> {
  const github = { owner: 'acme', repo: 'shop', environment: options.environment ?? ENV };
  const id = await startIncident(
    h.client,
    { playbook: 'rollback-deploy', requester: 'alice', mode: options.mode ?? 'live', params: { namespace: ns, deployment: name, github } },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  return id;
}

async function approveGate(id: string, action: string, approver: string, decision: 'approve' | 'deny' = 'approve') {
  const gate = await waitFor(`the ${action} gate`, async () =>
    (await getStatus(h.client, id)).gates.find((g) => g.action === action && g.status === 'open'),
  );
  const result = await decide(h.client, {
    incidentId: id,
    decision,
    approver,
    via: 'test',
    gateId: gate.id,
    ...(decision === 'deny' ? { reason: 'GitHub is not where we track this service' } : {}),
  });
  expect(result).toMatchObject({ applied: true });
  return gate;
}

const statusesOf = (deployment: number) => fake.deployment(REPO, deployment).statuses;
const imageOf = async (name: string) =>
  (await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: ns })).spec!.template.spec!.containers[0]!.image;

describe('GitHub deployment statuses', () => {
  it("marks the bad revision's deployment failed and the restored one successful, behind a gate of its own", async () => {
    const { name, ids } = await deployed();
    const id = await start(name);
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    const gate = await approveGate(id, 'githubRecordRollback', 'carol');
    expect(gate).toMatchObject({ risk: 'low', target: `${REPO}/environments/${ENV}` });
    expect(gate.step).toBe(
      `Record the rollback on GitHub ${REPO} (${ENV}): deployment #${ids[2]} (revision 3) failure; deployment #${ids[1]} (revision 2) success`,
    );
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(await imageOf(name)).toBe('registry.example/shop:v2');

    expect(statusesOf(ids[2]!).at(-1)).toMatchObject({
      state: 'failure',
      description: `Rolled back to revision 2 by Tourniquet incident ${id}`,
      logUrl: incidentUrl(id),
    });
    expect(statusesOf(ids[1]!).at(-1)).toMatchObject({
      state: 'success',
      description: `Restored by Tourniquet incident ${id} (rollback from revision 3)`,
      logUrl: incidentUrl(id),
    });
    // GitHub's auto_inactive: the environment's other successful deployment is no longer the active one.
    expect(statusesOf(ids[0]!).map((s) => s.state)).toEqual(['success', 'inactive']);
    expect(fake.callsOf('repos/create-deployment-status')).toHaveLength(2);
    const evidence = final.evidence.find((e) => e.name.startsWith('GitHub deployments'))!;
    expect(evidence.facts).toMatchObject({
      badDeployment: ids[2],
      restoredDeployment: ids[1],
      badState: 'success',
      restoredState: 'success',
      missing: null,
    });
    const completed = (await getTimeline(h.client, id)).filter((e) => e.kind === 'action.completed').map((e) => e.summary);
    expect(completed[1]).toMatch(
      new RegExp(
        `^GitHub ${REPO} \\(${ENV}\\): recorded deployment #${ids[2]} \\(revision 3, \\w{12}\\) failure; recorded deployment #${ids[1]} \\(revision 2, \\w{12}\\) success \\(approved by carol\\)$`,
      ),
    );

    // A retry after the statuses went out records nothing more.
    const args = {
      owner: 'acme',
      repo: 'shop',
      environment: ENV,
      fromRevision: 3,
      toRevision: 2,
      bad: { deployment: ids[2]!, sha: fake.deployment(REPO, ids[2]!).sha },
      restored: { deployment: ids[1]!, sha: fake.deployment(REPO, ids[1]!).sha },
    };
    const activities = createGitHubActivities({
      github: createGitHubDeps({ token: fake.appToken, apiUrl: fake.url }),
      store: h.deps.store,
    });
    const env = new MockActivityEnvironment({ activityType: 'githubRecordRollback' }, { logger: new DefaultLogger('ERROR') });
    const again = await env.run(
      activities.githubRecordRollback,
      approved('githubRecordRollback', `${REPO}/environments/${ENV}`, args, { incidentId: id }),
    );
    expect(again).toMatchObject({
      changed: false,
      summary: expect.stringMatching(/failure was already recorded; .* success was already recorded/),
    });
    expect(fake.callsOf('repos/create-deployment-status')).toHaveLength(2);
  });

  it('a config-only bad deploy (same commit as the restored revision): its one GitHub deployment is marked success only, once', async () => {
    const name = `shop-${randomBytes(3).toString('hex')}`;
    const [v1, v2] = ['v1', 'v2'].map((tag) => commit(`${name}:${tag}`)) as [string, string];
    await controller.deploy(name, { image: 'registry.example/shop:v1', annotations: { 'tourniquet.io/git-sha': v1 } });
    fake.addDeployment(REPO, { sha: v1, environment: ENV, state: 'success' });
    await controller.deploy(name, { image: 'registry.example/shop:v2', annotations: { 'tourniquet.io/git-sha': v2 } });
    fake.addDeployment(REPO, { sha: v2, environment: ENV, state: 'success' });
    // The bad deploy changed configuration only: the same commit, which CI deployed once more.
    await controller.deploy(name, {
      image: 'registry.example/shop:v2',
      annotations: { 'tourniquet.io/git-sha': v2, 'example.com/pool-size': '1' },
    });
    const shared = fake.addDeployment(REPO, { sha: v2, environment: ENV, state: 'success' });
    const created = fake.callsOf('repos/create-deployment-status').length;

    const id = await start(name);
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    const gate = await approveGate(id, 'githubRecordRollback', 'carol');
    expect(gate.step).toBe(`Record the rollback on GitHub ${REPO} (${ENV}): deployment #${shared} (revision 2) success`);
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    const evidence = final.evidence.find((e) => e.name.startsWith('GitHub deployments'))!;
    expect(evidence.facts).toMatchObject({ badDeployment: null, restoredDeployment: shared, sameDeployment: shared });
    expect(evidence.facts!.missing).toBe(
      `revision 3 (rolled back from) and revision 2 (restored) are both commit ${v2.slice(0, 12)}, deployment #${shared}: it runs again, so it is marked success only, not failure too`,
    );
    // No contradicting failure: one status, the restored one's success.
    expect(fake.callsOf('repos/create-deployment-status')).toHaveLength(created + 1);
    expect(statusesOf(shared).map((st) => st.state)).toEqual(['success', 'success']);
    expect(statusesOf(shared).at(-1)).toMatchObject({ description: `Restored by Tourniquet incident ${id} (rollback from revision 3)` });

    // GitHub moves on (another deployment succeeds, so ours is marked inactive): this incident's
    // status is no longer the newest, and a retry still finds it and records nothing more.
    const deps = createGitHubDeps({ token: fake.appToken, apiUrl: fake.url });
    const next = fake.addDeployment(REPO, { sha: commit(`${name}:v4`), environment: ENV });
    await deps.clients.api.rest.repos.createDeploymentStatus({
      owner: 'acme',
      repo: 'shop',
      deployment_id: next,
      state: 'success',
      log_url: `https://ci.example/runs/${next}`,
    });
    expect(statusesOf(shared).at(-1)!.state).toBe('inactive');
    const writes = fake.callsOf('repos/create-deployment-status').length;
    const activities = createGitHubActivities({ github: deps, store: h.deps.store });
    const restored = { deployment: shared, sha: v2 };
    for (const args of [
      { owner: 'acme', repo: 'shop', environment: ENV, fromRevision: 3, toRevision: 2, bad: null, restored },
      // Even if such args were approved, one deployment is never marked failure and success.
      { owner: 'acme', repo: 'shop', environment: ENV, fromRevision: 3, toRevision: 2, bad: restored, restored },
    ]) {
      const env = new MockActivityEnvironment({ activityType: 'githubRecordRollback' }, { logger: new DefaultLogger('ERROR') });
      const again = await env.run(
        activities.githubRecordRollback,
        approved('githubRecordRollback', `${REPO}/environments/${ENV}`, args, { incidentId: id }),
      );
      expect(again).toMatchObject({
        changed: false,
        summary: expect.stringMatching(new RegExp(`deployment #${shared} \\(revision 2, \\w{12}\\) success was already recorded`)),
      });
    }
    expect(fake.callsOf('repos/create-deployment-status')).toHaveLength(writes);
    expect(statusesOf(shared).some((st) => st.state === 'failure')).toBe(false);
  });

  it('in a drill, asks both gates and sends GitHub nothing', async () => {
    const { name, ids } = await deployed();
    const writes = fake.writes().length;
    const id = await start(name, { mode: 'drill' });
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    await approveGate(id, 'githubRecordRollback', 'carol');
    expect((await finished(id)).state).toBe('resolved');
    expect(fake.writes()).toHaveLength(writes);
    expect(await imageOf(name)).toBe('registry.example/shop:v3');
    const completed = (await getTimeline(h.client, id)).filter((e) => e.kind === 'action.completed').map((e) => e.summary);
    expect(completed[1]).toMatch(
      new RegExp(
        `^DRILL: GitHub ${REPO} \\(${ENV}\\): would record deployment #${ids[2]} .* failure; would record deployment #${ids[1]} .* success$`,
      ),
    );
  });

  it('denying the GitHub gate leaves GitHub as it was and the rollback in place', async () => {
    const { name, ids } = await deployed();
    const id = await start(name);
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    await approveGate(id, 'githubRecordRollback', 'carol', 'deny');
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.clock.contained_at).toBeDefined();
    expect(statusesOf(ids[2]!)).toHaveLength(1);
    expect(await imageOf(name)).toBe('registry.example/shop:v2');
  });

  it('asks nothing more when neither revision has a GitHub deployment in the environment, and says why', async () => {
    const { name } = await deployed();
    const id = await start(name, { environment: 'production' });
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.gates).toHaveLength(1);
    expect(final.evidence.at(-1)!.facts!.missing).toMatch(
      /^revision 3 \(rolled back from\): no deployment of commit \w{12} among the 100 newest in production; revision 2 \(restored\): no deployment/,
    );
  });

  it('retries a 5xx with backoff and records each status once', async () => {
    const { name, ids } = await deployed();
    // Two in a row: Octokit's own quick retry takes the first, Temporal's backoff the second.
    fake.failNext('repos/create-deployment-status', { status: 502 }, 2);
    const id = await start(name);
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    await approveGate(id, 'githubRecordRollback', 'carol');
    expect((await finished(id)).state).toBe('resolved');
    expect(statusesOf(ids[2]!).filter((s) => s.state === 'failure')).toHaveLength(1);
    expect(statusesOf(ids[1]!).filter((s) => s.description.includes(id))).toHaveLength(1);
  });

  it("fails the step at once with GitHub's message on a 403", async () => {
    const { name, ids } = await deployed();
    fake.failNext('repos/create-deployment-status', { status: 403 });
    const id = await start(name);
    await approveGate(id, 'kubeRollbackDeployment', 'bob');
    await approveGate(id, 'githubRecordRollback', 'carol');
    await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow();
    open.delete(id);
    const s = await getStatus(h.client, id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toContain(
      `GitHub refused record status failure on deployment ${ids[2]} in ${REPO}: 403 Resource not accessible by integration`,
    );
    expect(fake.requests.filter((r) => r.operationId === 'repos/create-deployment-status' && r.status === 403)).toHaveLength(1);
    expect(statusesOf(ids[2]!)).toHaveLength(1);
    expect(await imageOf(name)).toBe('registry.example/shop:v2');
  });

  it('classifies a 409 and a 429 as retryable, the 429 after Retry-After', async () => {
    const { ids } = await deployed();
    const activities = createGitHubActivities({
      github: createGitHubDeps({ token: fake.appToken, apiUrl: fake.url }),
      store: h.deps.store,
    });
    const args = {
      owner: 'acme',
      repo: 'shop',
      environment: ENV,
      fromRevision: 3,
      toRevision: 2,
      bad: { deployment: ids[2]!, sha: 'a'.repeat(40) },
      restored: null,
    };
    const run = () =>
      new MockActivityEnvironment({ activityType: 'githubRecordRollback' }, { logger: new DefaultLogger('ERROR') }).run(
        activities.githubRecordRollback,
        approved('githubRecordRollback', `${REPO}/environments/${ENV}`, args),
      );
    fake.failNext('repos/create-deployment-status', { status: 409 });
    await expect(run()).rejects.toMatchObject({
      nonRetryable: false,
      type: FAILURE_TYPES.GitHubUnavailable,
      message: expect.stringContaining('409 conflict'),
    });
    fake.failNext('repos/create-deployment-status', { status: 429, retryAfter: 7 });
    await expect(run()).rejects.toMatchObject({ type: FAILURE_TYPES.GitHubRateLimited, nextRetryDelay: '7s' });
    expect(statusesOf(ids[2]!)).toHaveLength(1);
  });
});
