/**
 * Worker crashes on the production topology: two real worker processes on the suite's own Temporal
 * cluster on PostgreSQL, one SIGKILLed (no shutdown, its sticky queue left behind) while an
 * incident waits for approval, and while it acts. The survivor takes over: the decision lands well
 * within its validity, the action has exactly one effect, and the incident is contained soon after.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { decide, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { useClusterSuite } from './support/cluster-suite';
import { startFakeGitHub, type FakeGitHub, type GitHubRequest } from './support/fake-github';
import { waitForGate } from './support/gates';
import { plantLeakedToken } from './support/github-leaks';
import type { Harness } from './support/harness';
import { waitFor } from './support/wait';

let fake: FakeGitHub;
const suite = useClusterSuite({
  workers: 2,
  async setup() {
    fake = await startFakeGitHub();
    await fake.addRepo('acme/api');
  },
  // Configured from the environment, as deployed.
  workerEnv: () => ({ GITHUB_TOKEN: fake.appToken, GITHUB_API_URL: fake.url }),
  teardown: async () => fake?.stop(),
});
let h: Harness;

beforeAll(() => {
  ({ h } = suite);
});

/** What every front door gives a decision unless told otherwise (client/decisions.ts). */
const VALIDITY_MS = 15_000;

/** Waits until the incident has nothing in flight (no workflow task, no activity): it only waits. */
async function idle(id: string): Promise<void> {
  await waitFor(`incident ${id} to be idle`, async () => {
    const { raw } = await h.client.workflow.getHandle(id).describe();
    return !raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0;
  });
}

it('a worker killed while the incident waits for approval: a decision right after lands well within its validity, and the action runs once', async () => {
  const service = `svc-${randomUUID().slice(0, 8)}`;
  const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
  suite.started.add(id);
  const before = await waitForGate(h.client, id, { timeoutMs: 60_000 });
  await idle(id);
  // The worker whose cache holds the incident: its sticky queue is where the next task goes.
  const holder = await suite.stickyWorkerOf(id);
  const survivor = suite.workers.find((w) => w !== holder)!;

  await suite.kill(holder);
  // As `tourniquet approve` does: the gate looked up, the decision signed with bob's key.
  const t0 = Date.now();
  const outcome = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  const tookMs = Date.now() - t0;

  expect(outcome).toMatchObject({ applied: true, result: { status: 'approved' } });
  // With the SDK's 10 s sticky schedule-to-start timeout this took 10 to 12 s of the 15 s.
  expect(tookMs).toBeLessThan(VALIDITY_MS / 2);
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  // Nothing collected twice: the evidence before the gate, then the one after the action.
  expect(before.evidence.map((e) => e.seq)).toEqual([1, 2]);
  expect(final.evidence.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect((await h.world.actions()).filter((a) => a.incidentId === id)).toEqual([
    expect.objectContaining({ service, change: 'quarantine' }),
  ]);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  // The survivor took it from there.
  expect(await suite.stickyWorkerOf(id)).toBe(survivor);
});

it('a worker killed while it revokes a leaked token: the other worker finishes the action, one revocation, contained within 30 s of the kill', async () => {
  const { secret, n } = plantLeakedToken(fake);
  // GitHub revokes the token, and the worker that asked dies before it hears so.
  const held = fake.holdNextAnswer('credentials/revoke');
  const id = await startIncident(
    h.client,
    { playbook: 'revoke-leaked-key', requester: 'alice', params: { owner: 'acme', repo: 'api', alertNumber: n } },
    { taskQueue: h.taskQueue },
  );
  suite.started.add(id);
  await waitForGate(h.client, id, { timeoutMs: 60_000 });
  expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({ applied: true });

  let arrived: GitHubRequest | undefined;
  void held.arrived.then((r) => (arrived = r));
  const revoked = await waitFor('the revocation to reach GitHub', () => arrived, { timeoutMs: 60_000 });
  expect(JSON.stringify(revoked.body)).toContain(secret);
  const { raw } = await h.client.workflow.getHandle(id).describe();
  const acting = raw.pendingActivities!.find((a) => a.activityType?.name === 'githubRevokeLeakedSecret')!;
  const actor = suite.workerOf(acting.lastWorkerIdentity)!;
  const survivor = suite.workers.find((w) => w !== actor)!;
  expect(actor).toBeDefined();

  await suite.kill(actor);
  const killedAt = Date.now();
  held.release();

  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(fake.isRevoked(secret)).toBe(true);
  expect(fake.callsOf('credentials/revoke').filter((r) => JSON.stringify(r.body).includes(secret))).toHaveLength(1);
  // The retry, on the survivor, found the token dead (GET /user answers 401), revoked nothing and
  // resolved the alert the killed attempt never reached.
  expect(fake.callsOf('secret-scanning/update-alert').filter((r) => r.path.endsWith(`/alerts/${n}`))).toHaveLength(1);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  expect(timeline.filter((e) => e.kind === 'action.completed')).toEqual([
    expect.objectContaining({ details: expect.objectContaining({ details: expect.objectContaining({ revoked: false, resolved: true }) }) }),
  ]);
  const events = (await h.client.workflow.getHandle(id).fetchHistory()).events!;
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'githubRevokeLeakedSecret')!;
  const started = events
    .map((e) => e.activityTaskStartedEventAttributes)
    .filter((a) => a && Number(a.scheduledEventId) === Number(scheduled.eventId));
  expect(started.map((a) => [a!.attempt, a!.identity])).toEqual([[2, suite.identityOf(survivor)]]);
  // Contained (the revocation verified) within 30 s of the kill: the dead worker cost its heartbeat timeout, not 5 minutes.
  const containedMs = Date.parse(final.clock.contained_at!) - killedAt;
  expect(containedMs).toBeLessThan(30_000);
  expect(fake.rejections).toEqual([]);
  expect(fake.problems).toEqual([]);
  expect(survivor.output()).not.toContain(secret);
});
