/**
 * The revoke-leaked-key playbook end to end: a real Temporal dev server and worker, the fake
 * GitHub (checked against GitHub's OpenAPI description), approvals through decide(). Also: a
 * signed secret_scanning_alert webhook through the gateway's shipped route into the playbook.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { alertRoutes } from '../gateway/intake/routes';
import type { IncidentStatus } from '../workflows';
import { startFakeGitHub, type FakeGitHub, type LeakSpec } from './support/fake-github';
import { ed25519KeyPair, leakedToken } from './support/github-leaks';
import { startHarness, type Harness } from './support/harness';
import { deliverGitHub, githubLeak, startIntakeGateway } from './support/intake';
import { waitForGate } from './support/gates';
import { historyText } from './support/history';

let fake: FakeGitHub;
let h: Harness;
const rotation: Record<string, string> = {};
const open = new Set<string>();

beforeAll(async () => {
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  h = await startHarness({ github: { token: fake.appToken, apiUrl: fake.url, rotationValues: (n) => rotation[n] } });
});
afterEach(async () => {
  // Anything a failed test left waiting is cancelled, so the suite's worker can stop.
  for (const id of open)
    await h.client.workflow
      .getHandle(id)
      .cancel()
      .catch(() => {});
  open.clear();
  expect(fake.rejections.splice(0)).toEqual([]);
  expect(fake.problems.splice(0)).toEqual([]);
});
afterAll(async () => {
  await h?.stop();
  await fake?.stop();
});

const FIRST_COMMIT = '2026-11-20T08:00:00.000Z';

/** A secret leaked into acme/api: a live token (for GitHub types) and its secret scanning alert. */
function plantLeak(leak: Partial<LeakSpec> = {}): { secret: string; n: number } {
  const secret = leak.secret ?? leakedToken();
  if (!leak.secretType || leak.secretType.startsWith('github_')) fake.addToken(secret, 'dev');
  const n = fake.addLeak('acme/api', {
    secretType: 'github_personal_access_token',
    commits: [{ authoredAt: '2026-11-20T09:00:00Z' }, { authoredAt: FIRST_COMMIT, committedAt: '2026-11-20T10:00:00Z' }],
    ...leak,
    secret,
  });
  return { secret, n };
}

async function startLeak(leak: Partial<LeakSpec> = {}, options: { mode?: 'live' | 'drill'; rotate?: object; waitForGate?: boolean } = {}) {
  const { secret, n } = plantLeak(leak);
  const id = await startIncident(
    h.client,
    {
      playbook: 'revoke-leaked-key',
      requester: 'alice',
      mode: options.mode ?? 'live',
      params: { owner: 'acme', repo: 'api', alertNumber: n, ...(options.rotate ? { rotate: options.rotate } : {}) },
      alerts: [{ source: 'github', title: `secret scanning alert #${n}`, detectedAt: new Date(Date.now() - 60_000).toISOString() }],
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  const status = options.waitForGate === false ? undefined : await waitForGate(h.client, id);
  return { id, n, secret, status };
}

async function finished(id: string): Promise<IncidentStatus> {
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  open.delete(id);
  return final;
}

async function failed(id: string): Promise<IncidentStatus> {
  await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow(WorkflowFailedError);
  open.delete(id);
  return getStatus(h.client, id);
}

const revokeCalls = (secret: string) =>
  fake.requests.filter((r) => r.operationId === 'credentials/revoke' && JSON.stringify(r.body).includes(secret));

describe('revoke-leaked-key', () => {
  it('revokes the token once approved, resolves the alert, verifies, and never keeps the secret anywhere', async () => {
    const { id, n, secret, status } = await startLeak();
    const gate = status!.gates[0]!;
    expect(gate).toMatchObject({
      action: 'githubRevokeLeakedSecret',
      target: `acme/api/secret-scanning/${n}`,
      risk: 'critical',
      policy: 'standard',
    });
    expect(gate.step).toMatch(
      /^Revoke leaked github_personal_access_token in acme\/api: revoke the personal access token \(classic\) \[REDACTED:github_personal_access_token sha256:[0-9a-f]{12} last4:\w{4}\] through GitHub's credential revocation API/,
    );
    expect(status!.evidence.map((e) => e.name)).toEqual([
      `secret scanning alert #${n} in acme/api`,
      `where the secret leaked (alert #${n})`,
      expect.stringMatching(/^approvers: /),
    ]);
    expect(revokeCalls(secret)).toEqual([]);

    expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({ applied: true });
    const final = await finished(id);
    expect(final.state).toBe('resolved');

    const [revocation] = revokeCalls(secret);
    expect(revocation).toMatchObject({ status: 202, body: { credentials: [secret] } });
    expect(revocation!.authorization).toBeUndefined();
    expect(revokeCalls(secret)).toHaveLength(1);
    expect(fake.isRevoked(secret)).toBe(true);
    const alert = fake.repo('acme/api').alerts.get(n)!;
    expect(alert).toMatchObject({ state: 'resolved', resolution: 'revoked' });
    expect(alert.resolutionComment).toBe(`Revoked by Tourniquet incident ${id}, approved by bob.`);

    // Exposure window: first leaking commit → contained.
    expect(final.clock.exposed_at).toBe(FIRST_COMMIT);
    expect(final.clock.durations.exposure_window_ms).toBe(Date.parse(final.clock.contained_at!) - Date.parse(FIRST_COMMIT));

    const timeline = await getTimeline(h.client, id);
    expect(timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['incident.exposure', 'action.completed', 'verify.passed', 'incident.contained']),
    );
    expect(timeline.find((e) => e.kind === 'verify.passed')!.summary).toMatch(
      /is dead: GET \/user with it answers 401; alert #\d+ resolved \(revoked\)/,
    );

    const alertArtifact = (await h.deps.store.get(final.evidence[0]!.uri)).toString();
    const fp = new RegExp(`\\[REDACTED:github_personal_access_token sha256:[0-9a-f]{12} last4:${secret.slice(-4)}\\]`);
    expect(alertArtifact).toMatch(fp);
    expect(final.evidence[0]!.facts).toMatchObject({ fingerprint: expect.stringMatching(fp), secretType: 'github_personal_access_token' });

    // Nowhere: not in any evidence file, the timeline, the status, the notifications, the history.
    const evidenceDir = join(h.dir, 'evidence', encodeURIComponent(id));
    const files = await readdir(evidenceDir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(await readFile(join(evidenceDir, f), 'utf8')).not.toContain(secret);
    expect(JSON.stringify(timeline)).not.toContain(secret);
    expect(JSON.stringify(final)).not.toContain(secret);
    expect(JSON.stringify(h.notifier.of(id))).not.toContain(secret);
    const history = await historyText(h.client, id);
    expect(history.includes(`last4:${secret.slice(-4)}`), 'the search sees decoded payloads').toBe(true);
    expect(history.includes(secret), 'the secret is in the workflow history').toBe(false);
  });

  it('does nothing when an approver denies', async () => {
    const { id, n, secret } = await startLeak();
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test', reason: 'test token, already rotated' });
    const final = await finished(id);
    expect(final.state).toBe('denied');
    expect(final.clock.action_started_at).toBeUndefined();
    expect(revokeCalls(secret)).toEqual([]);
    expect(fake.isRevoked(secret)).toBe(false);
    expect(fake.repo('acme/api').alerts.get(n)!.state).toBe('open');
  });

  it('in a drill, asks for approval as usual and sends GitHub no write', async () => {
    const writes = fake.writes().length;
    const { id, n, secret, status } = await startLeak({}, { mode: 'drill' });
    expect(status!.mode).toBe('drill');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(fake.writes().length).toBe(writes);
    expect(fake.isRevoked(secret)).toBe(false);
    expect(fake.repo('acme/api').alerts.get(n)!.state).toBe('open');
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'incident.started')!.summary).toMatch(/^DRILL /);
    expect(timeline.find((e) => e.kind === 'action.started')!.summary).toMatch(/^DRILL Revoke leaked/);
    expect(timeline.find((e) => e.kind === 'action.completed')!.summary).toMatch(
      /^DRILL: would revoke \[REDACTED:.*; would resolve alert #\d+ as revoked$/,
    );
  });

  it('deletes the matching deploy key and rotates the Actions secret that held it', async () => {
    const key = ed25519KeyPair();
    const keyId = fake.addDeployKey('acme/api', { key: key.publicKey, title: 'production deploy' });
    rotation.TOURNIQUET_ROTATE_DEPLOY_KEY = ed25519KeyPair().privateKey;
    const rotate = { secretName: 'DEPLOY_KEY', valueFromEnv: 'TOURNIQUET_ROTATE_DEPLOY_KEY' };
    const { id, status } = await startLeak({ secret: key.privateKey, secretType: 'github_ssh_private_key' }, { rotate });
    expect(status!.gates[0]!.step).toMatch(
      new RegExp(
        `delete deploy key ${keyId} "production deploy" \\(read-write, SHA256:.*; set Actions secret DEPLOY_KEY from TOURNIQUET_ROTATE_DEPLOY_KEY; resolve alert`,
      ),
    );
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(fake.repo('acme/api').deployKeys.find((k) => k.id === keyId)).toBeUndefined();
    expect(fake.actionsSecret('acme/api', 'DEPLOY_KEY')).toBe(rotation.TOURNIQUET_ROTATE_DEPLOY_KEY);
    const history = await historyText(h.client, id);
    expect(history.includes('DEPLOY_KEY'), 'the search sees decoded payloads').toBe(true);
    expect(history.includes(key.privateKey.split('\n')[1]!), 'the leaked key is in the history').toBe(false);
    expect(history.includes(rotation.TOURNIQUET_ROTATE_DEPLOY_KEY.split('\n')[1]!), 'the new value is in the history').toBe(false);
  });

  it('fails before asking anyone when the secret type has no Revoker, naming the type', async () => {
    const { id } = await startLeak(
      { secret: 'rk_live_' + 'W2d2'.repeat(6), secretType: 'stripe_live_restricted_key' },
      { waitForGate: false },
    );
    const s = await failed(id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toMatch(
      /cannot revoke the leaked stripe_live_restricted_key: no Revoker for secret type "stripe_live_restricted_key".*add a Revoker/,
    );
    expect(s.gates).toEqual([]);
  });
});

describe('revoke-leaked-key when GitHub fails', () => {
  it("a 403 fails the step and the incident at once, with GitHub's message", async () => {
    const { id, secret } = await startLeak();
    fake.failNext('credentials/revoke', { status: 403 });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const s = await failed(id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toMatch(/GitHub refused POST \/credentials\/revoke: 403 Resource not accessible by integration/);
    expect(fake.requests.filter((r) => r.operationId === 'credentials/revoke' && r.status === 403)).toHaveLength(1); // not retried
    expect(fake.isRevoked(secret)).toBe(false);
    expect((await getTimeline(h.client, id)).find((e) => e.kind === 'action.failed')?.summary).toMatch(/403/);
  });

  it('5xx is retried (first in-process, then by Temporal) and the incident still resolves', async () => {
    const { id, secret } = await startLeak();
    const since = Date.now();
    fake.failNext('credentials/revoke', { status: 500 }, 2);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(fake.requests.filter((r) => r.operationId === 'credentials/revoke' && r.at >= since).map((r) => r.status)).toEqual([
      500, 500, 202,
    ]);
    expect(fake.isRevoked(secret)).toBe(true);
  });

  it('a 429 waits exactly Retry-After, then succeeds', async () => {
    const { id, secret } = await startLeak();
    const since = Date.now();
    fake.failNext('credentials/revoke', { status: 429, retryAfter: 2 });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    const [limited, accepted] = fake.requests.filter((r) => r.operationId === 'credentials/revoke' && r.at >= since);
    expect([limited!.status, accepted!.status]).toEqual([429, 202]);
    expect(accepted!.at - limited!.at).toBeGreaterThanOrEqual(2_000);
    expect(fake.isRevoked(secret)).toBe(true);
  });
});

describe('started by a GitHub webhook', () => {
  it("a signed secret_scanning_alert opens revoke-leaked-key for that alert; approved, the secret is revoked; GitHub's resolved delivery starts nothing", async () => {
    const { secret, n } = plantLeak();
    const gw = await startIntakeGateway(h.client, h.taskQueue, { routes: alertRoutes });
    try {
      // What GitHub sends for this alert: the documented payload, about acme/api and alert n.
      const created = githubLeak();
      Object.assign(created.alert, {
        number: n,
        secret_type: 'github_personal_access_token',
        secret_type_display_name: 'GitHub Personal Access Token',
      });
      Object.assign(created.repository, { name: 'api', full_name: 'acme/api', owner: { ...created.repository.owner, login: 'acme' } });
      created.organization.login = 'acme';
      const res = await deliverGitHub(gw.url, 'secret_scanning_alert', created);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'new', route: 'github-secret-leak' });
      const id: string = res.body.incidentId;
      open.add(id);

      const status = await waitForGate(h.client, id);
      expect(status).toMatchObject({
        playbook: 'revoke-leaked-key',
        requester: 'github',
        title: `Leaked GitHub Personal Access Token in acme/api (alert #${n})`,
      });
      expect(status.gates[0]).toMatchObject({
        action: 'githubRevokeLeakedSecret',
        target: `acme/api/secret-scanning/${n}`,
        risk: 'critical',
        policy: 'standard',
      });
      expect(status.evidence[0]!.name).toBe(`secret scanning alert #${n} in acme/api`);
      // the requester is a system identity: anyone on call may approve
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      expect((await finished(id)).state).toBe('resolved');
      expect(fake.isRevoked(secret)).toBe(true);
      expect(fake.repo('acme/api').alerts.get(n)).toMatchObject({ state: 'resolved', resolution: 'revoked' });

      // Resolving the alert makes GitHub deliver `resolved`: the incident is closed, so it is recorded nowhere and starts nothing.
      const resolved = {
        ...created,
        action: 'resolved',
        alert: { ...created.alert, resolution: 'revoked', resolved_at: new Date().toISOString() },
      };
      expect((await deliverGitHub(gw.url, 'secret_scanning_alert', resolved)).body).toEqual({
        status: 'no-open-incident',
        incidentId: id,
        route: 'github-secret-leak',
      });
    } finally {
      await gw.close();
    }
  });
});
