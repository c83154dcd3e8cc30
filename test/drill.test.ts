/**
 * Game-day drills through the real intake path: the scenario's alert is posted to the gateway
 * marked as a drill, runs in drill mode under its own id, people approve, and the run is scored.
 *
 * The shipped scenarios on the shipped routes, into the real playbooks: a drill rehearses what a
 * real alert would do, so a route table of the tests' own would score a drill nobody runs. The
 * Falco scenario starts isolate-pod, whose reads are real even in a drill, so this suite has a real
 * kube-apiserver (test/support/kube/) holding the scenario's pod, and checks the drill left it alone.
 * Likewise the AWS key scenario starts revoke-leaked-key, whose reads go to GitHub and AWS: the fake
 * GitHub holds the scenario's alert for a key of moto's IAM (the AWS suite's set-up), left unchanged.
 */
import { CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus } from '../client';
import { DRILL_HEADER, loadScorecards, runDrill, saveScorecard, score } from '../client/drills/run';
import { DRILLS_DIR, loadScenarios, materialize, scenarioSchema, type DrillScenario } from '../client/drills/scenario';
import { formatHistory, formatScorecard } from '../cli/drill';
import type { IncidentStatus } from '../workflows';
import { alertRoutes } from '../gateway/intake/routes';
import { startAwsProxy, type AwsProxy } from './support/aws-proxy';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { startHarness, type Harness } from './support/harness';
import type { ControlPlane } from './support/kube/control-plane';
import { createPod } from './support/kube/objects';
import { startWorkerCluster } from './support/kube/worker-cluster';
import { startMoto, type Credentials, type Moto } from './support/moto';
import { post, startIntakeGateway, TOKENS, type IntakeGateway } from './support/intake';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';

let cp: ControlPlane;
let admin: KubeConfig;
let h: Harness;
let gateway: IntakeGateway;
let cards: string;
let moto: Moto;
let proxy: AwsProxy;
let fake: FakeGitHub;
/** the canary: an IAM user whose access key the AWS scenario's alert is about */
const CANARY_USER = 'drill-canary';
let canaryKey: Credentials;
const scenarios = loadScenarios();
const byName = (name: string) => scenarios.find((s) => s.name === name)!;
/** The pod the Falco scenario's shell is in, as the scenario names it. */
const shellPod = () => {
  const fields = byName('falco-shell-in-container').alert.body.output_fields as Record<string, string>;
  return { namespace: fields['k8s.ns.name']!, name: fields['k8s.pod.name']! };
};
const POD_LABELS = { app: 'api', tier: 'backend' };
/** The repository and alert the AWS scenario names, as its body gives them. */
const leakedAlert = () => {
  const body = byName('github-leaked-aws-key').alert.body as { alert: { number: number }; repository: { full_name: string } };
  return { repo: body.repository.full_name, number: body.alert.number };
};

beforeAll(async () => {
  let worker: KubeConfig;
  ({ cp, admin, worker } = await startWorkerCluster());
  const pod = shellPod();
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: pod.namespace } } });
  await createPod(admin, pod.namespace, pod.name, { labels: POD_LABELS });
  moto = await startMoto();
  proxy = await startAwsProxy(moto.url);
  const identity = await moto.tourniquetIdentity('tourniquet');
  // The SDK's standard credential chain, as deployed: the worker's environment.
  process.env.AWS_ACCESS_KEY_ID = identity.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = identity.secretAccessKey;
  canaryKey = await moto.createUser(CANARY_USER, { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
  fake = await startFakeGitHub();
  const leak = leakedAlert();
  await fake.addRepo(leak.repo);
  const number = fake.addLeak(leak.repo, {
    secretType: 'aws_access_key_id',
    secret: canaryKey.accessKeyId,
    commits: [{ authoredAt: new Date(Date.now() - 3_600_000).toISOString() }],
  });
  if (number !== leak.number) throw new Error(`the fake GitHub numbered the canary's alert ${number}, the scenario names ${leak.number}`);
  h = await startHarness({
    kubernetes: { kubeConfig: worker },
    github: { token: fake.appToken, apiUrl: fake.url },
    aws: { region: moto.region, endpoint: proxy.url, maxCloudTrailEvents: 100 },
  });
  gateway = await startIntakeGateway(h.client, h.taskQueue, { routes: alertRoutes });
  cards = await mkdtemp(join(tmpdir(), 'tourniquet-drills-'));
}, 120_000);
afterAll(async () => {
  await gateway?.close();
  await h?.stop();
  await cp?.stop();
  await fake?.stop();
  await proxy?.close();
  await moto?.stop();
  await rm(cards, { recursive: true, force: true });
});

/** Plays the on-call person: decides as soon as the drill's gate opens. */
async function respond(decision: 'approve' | 'deny'): Promise<void> {
  const open = await waitFor('a drill incident awaiting approval', async () => {
    for await (const info of h.client.workflow.list({ query: `WorkflowId STARTS_WITH 'drill-' AND ExecutionStatus = 'Running'` })) {
      const s = await getStatus(h.client, info.workflowId).catch(() => undefined);
      if (s?.state === 'awaiting-approval' && s.mode === 'drill') return s;
    }
    return undefined;
  });
  await decide(h.client, {
    incidentId: open.id,
    decision,
    approver: 'bob',
    via: 'slack:U0BOB',
    ...(decision === 'deny' ? { reason: 'drill: practising a denial' } : {}),
  });
}

describe('tourniquet drill', () => {
  it('ships valid scenarios', () => {
    expect(scenarios.map((s) => s.name)).toEqual(['falco-shell-in-container', 'generic-suspicious-login', 'github-leaked-aws-key']);
    const body = materialize(byName('falco-shell-in-container').alert.body) as { time: string; uuid: string };
    expect(Date.parse(body.time)).not.toBeNaN();
    expect(body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    // a GitHub delivery is signed for one webhook event, so the scenario must name it (and only then)
    const github = JSON.parse(readFileSync(join(DRILLS_DIR, 'github-leaked-aws-key.json'), 'utf8'));
    expect(scenarioSchema.safeParse(github).success).toBe(true);
    const { event: _event, ...unnamed } = github.alert;
    expect(scenarioSchema.safeParse({ ...github, alert: unnamed }).success).toBe(false);
    expect(scenarioSchema.safeParse({ ...github, alert: { ...github.alert, endpoint: '/alerts' } }).success).toBe(false);
  });

  it('runs a scenario through intake in drill mode and scores it PASS when people and the playbook meet the SLOs', async () => {
    const scenario = byName('falco-shell-in-container');
    const pod = shellPod();
    const [card] = await Promise.all([
      runDrill(h.client, scenario, { gatewayUrl: gateway.url, token: TOKENS.falco, timeoutMs: 60_000 }),
      respond('approve'),
    ]);
    expect(card).toMatchObject({ scenario: scenario.name, pass: true, playbook: 'isolate-pod', outcome: 'resolved', problems: [] });
    expect(card.incident_id).toMatch(/^drill-falco-shell-in-container-/);
    const status = await getStatus(h.client, card.incident_id!);
    expect(status.mode).toBe('drill');
    expect(status.gates[0]).toMatchObject({ action: 'kubeIsolatePod', target: `pods/${pod.namespace}/${pod.name}`, status: 'approved' });
    // the API server dry-ran the isolation: the pod keeps its labels and no policy selects it
    expect((await admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: pod.name, namespace: pod.namespace })).metadata!.labels).toEqual(
      POD_LABELS,
    );
    expect((await admin.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: pod.namespace })).items).toEqual([]);
    expect(card.slos.map((s) => s.slo)).toEqual(['time to approve', 'time to contain']);
    expect(card.slos.every((s) => s.pass && s.measured_ms! >= 0)).toBe(true);
    expect(formatScorecard(card)).toMatch(/^DRILL falco-shell-in-container {2}PASS/);
    await saveScorecard(cards, card);
  });

  it('runs the AWS key scenario as a signed GitHub delivery: revoke-leaked-key reads IAM, scores its SLOs, and changes nothing', async () => {
    const scenario = byName('github-leaked-aws-key');
    const since = proxy.calls.length;
    const [card] = await Promise.all([
      runDrill(h.client, scenario, { gatewayUrl: gateway.url, githubSecret: TOKENS.github, timeoutMs: 90_000 }),
      respond('approve'),
    ]);
    expect(card).toMatchObject({ scenario: scenario.name, pass: true, playbook: 'revoke-leaked-key', outcome: 'resolved', problems: [] });
    expect(card.slos.map((s) => s.slo)).toEqual(['time to approve', 'time to contain']);
    expect(card.slos.every((s) => s.pass && s.measured_ms! >= 0)).toBe(true);
    const status = await getStatus(h.client, card.incident_id!);
    expect(status.mode).toBe('drill');
    const leak = leakedAlert();
    expect(status.gates[0]).toMatchObject({
      action: 'githubRevokeLeakedSecret',
      target: `${leak.repo}/secret-scanning/${leak.number}`,
      status: 'approved',
    });
    // reads were real (the key's owner was found in IAM); no write reached AWS, and the key is as it was
    expect(proxy.calls.slice(since).some((c) => c.action === 'GetAccessKeyLastUsed')).toBe(true);
    expect(proxy.calls.slice(since).filter((c) => /^(Update|Put|Delete|Create|Attach)/.test(c.action))).toEqual([]);
    const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: CANARY_USER }));
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([[canaryKey.accessKeyId, 'Active']]);
    expect((await moto.admin.send(new ListUserPoliciesCommand({ UserName: CANARY_USER }))).PolicyNames).toEqual([`${CANARY_USER}-policy`]);
    // nor on GitHub: the alert stays open
    expect(fake.repo(leak.repo).alerts.get(leak.number)!.state).toBe('open');
    expect(fake.rejections.splice(0)).toEqual([]);
    expect(fake.problems.splice(0)).toEqual([]);
  });

  it('refuses to send a GitHub scenario it cannot sign, and the intake refuses one signed with another secret', async () => {
    const scenario = byName('github-leaked-aws-key');
    const unsigned = await runDrill(h.client, scenario, { gatewayUrl: gateway.url, timeoutMs: 1_000 });
    expect(unsigned.pass).toBe(false);
    expect(unsigned.problems[0]).toMatch(/^no GitHub webhook secret to sign the alert with/);
    const forged = await runDrill(h.client, scenario, {
      gatewayUrl: gateway.url,
      githubSecret: 'not-the-webhook-secret-0123',
      timeoutMs: 1_000,
    });
    expect(forged.incident_id).toBeUndefined();
    expect(forged.problems[0]).toMatch(/^intake answered 401/);
  });

  it('scores FAIL, saying what went wrong, when the drill ends other than expected', async () => {
    const scenario = byName('generic-suspicious-login');
    const [card] = await Promise.all([
      runDrill(h.client, scenario, { gatewayUrl: gateway.url, token: TOKENS.generic, timeoutMs: 60_000 }),
      respond('deny'),
    ]);
    expect(card.pass).toBe(false);
    const outcome = card.problems.find((p) => p.startsWith('ended denied'))!;
    expect(outcome).toContain('denied by bob: drill: practising a denial');
    expect(outcome).toMatch(/, expected resolved$/);
    expect(card.problems.some((p) => p.startsWith('time to contain: never reached'))).toBe(true);
    await saveScorecard(cards, card);
    const history = formatHistory(await loadScorecards(cards));
    expect(history).toContain('falco-shell-in-container: 1/1 passed  trend ✓');
    expect(history).toContain('generic-suspicious-login: 0/1 passed  trend ✗');
  });

  it('keeps a drill apart from real incidents: the same alert without the marker opens a live incident of its own', async () => {
    const body = materialize(byName('generic-suspicious-login').alert.body);
    const live = await post(`${gateway.url}/alerts`, body, { authorization: `Bearer ${TOKENS.generic}` });
    const drill = await post(`${gateway.url}/alerts`, body, { authorization: `Bearer ${TOKENS.generic}`, [DRILL_HEADER]: 'apart-1' });
    expect(live.status).toBe(202);
    expect(drill.body.incidentId).toBe('drill-apart-1');
    expect(live.body.incidentId).not.toBe(drill.body.incidentId);
    expect((await getStatus(h.client, live.body.incidentId)).mode).toBe('live');
    const bad = await post(`${gateway.url}/alerts`, body, { authorization: `Bearer ${TOKENS.generic}`, [DRILL_HEADER]: 'Not Valid!' });
    expect(bad.status).toBe(400);
    for (const id of [live.body.incidentId, 'drill-apart-1']) {
      await waitForGate(h.client, id);
      await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
    }
  });
});

describe('scoring', () => {
  const scenario: DrillScenario = {
    name: 'x',
    description: 'x',
    alert: { endpoint: '/alerts', body: {} },
    expect: { playbook: 'demo', outcome: 'resolved' },
    slo: { timeToApprove: 60_000, timeToContain: 120_000 },
  };
  const status = (approve: number, contain: number, extra: Partial<IncidentStatus> = {}) =>
    ({
      playbook: 'demo',
      state: 'resolved',
      mode: 'drill',
      clock: { durations: { time_to_approve_ms: approve, time_to_contain_ms: contain } },
      ...extra,
    }) as IncidentStatus;

  it('fails an SLO that was missed, naming the figure and the target', () => {
    const result = score(scenario, status(90_000, 100_000), []);
    expect(result.pass).toBe(false);
    expect(result.problems).toEqual(['time to approve 90.0 s over the SLO of 60.0 s']);
    expect(result.slos.map((s) => s.pass)).toEqual([false, true]);
  });

  it('fails a drill routed to the wrong playbook, or not run as a drill', () => {
    expect(score(scenario, status(1, 1, { playbook: 'isolate-pod' }), []).problems).toEqual([
      'routed to playbook isolate-pod, expected demo',
    ]);
    expect(score(scenario, status(1, 1, { mode: 'live' }), []).problems).toEqual(['the incident did not run in drill mode']);
  });
});
