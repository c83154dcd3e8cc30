/**
 * revoke-leaked-key across a worker crash: the real worker process (configured from the
 * environment, as deployed) is SIGKILLed while the incident waits for approval; after a restart
 * the same incident goes on, evidence is not collected again, and the token is revoked once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { plantLeakedToken } from './support/github-leaks';
import { startHarness, type Harness } from './support/harness';
import { spawnWorker, type WorkerProcess } from './support/worker-process';
import { waitForGate } from './support/gates';

let h: Harness;
let fake: FakeGitHub;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  // The spawned worker reads its configuration from the environment, as in production.
  process.env.GITHUB_TOKEN = fake.appToken;
  process.env.GITHUB_API_URL = fake.url;
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.stop();
  await fake?.stop();
});

it('a worker killed while the incident waits for approval: after restart it revokes exactly once', async () => {
  const { secret, n } = plantLeakedToken(fake);
  worker = spawnWorker(h);
  const id = await startIncident(
    h.client,
    { playbook: 'revoke-leaked-key', requester: 'alice', params: { owner: 'acme', repo: 'api', alertNumber: n } },
    { taskQueue: h.taskQueue },
  );
  const before = await waitForGate(h.client, id, { timeoutMs: 45_000 });
  const alertReads = fake.callsOf('secret-scanning/get-alert').length;

  await worker.kill();
  worker = spawnWorker(h);

  const applied = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', validForMs: 30_000 });
  expect(applied).toMatchObject({ applied: true, result: { status: 'approved' } });
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(final.evidence.map((e) => e.name)).toEqual(before.evidence.map((e) => e.name));
  expect(fake.callsOf('credentials/revoke').filter((r) => JSON.stringify(r.body).includes(secret))).toHaveLength(1);
  expect(fake.isRevoked(secret)).toBe(true);
  // After the restart: the action's own read, and verification's — no evidence collected again.
  expect(fake.callsOf('secret-scanning/get-alert').length - alertReads).toBe(2);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  expect(timeline.filter((e) => e.kind === 'evidence.recorded')).toHaveLength(3);
  expect(worker.output()).not.toContain(secret);
  expect(fake.rejections).toEqual([]);
  expect(fake.problems).toEqual([]);
});
