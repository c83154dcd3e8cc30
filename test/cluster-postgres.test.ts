/**
 * The production topology on a real Temporal server (v1.32, built from source) on PostgreSQL, the
 * suite's own (`npm run cluster`'s code): two worker processes sharing the task queue, a Temporal
 * server restart and a PostgreSQL restart while an incident waits, and Temporal's own tools
 * filtering incidents by Tourniquet's search attributes.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { beforeAll, expect, inject, it } from 'vitest';
import { decide, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { useClusterSuite } from './support/cluster-suite';
import { waitForGate } from './support/gates';
import type { Harness } from './support/harness';
import type { TestCluster } from './support/temporal-cluster';
import { waitFor } from './support/wait';

const run = promisify(execFile);
const suite = useClusterSuite({ workers: 2 });
let cluster: TestCluster;
let h: Harness;

beforeAll(() => {
  ({ cluster, h } = suite);
});

/** Incident ids whose search attributes match `query`, as Temporal's visibility store answers it. */
async function idsMatching(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of h.client.workflow.list({ query })) ids.push(w.workflowId);
  return ids;
}

async function demoIncident(): Promise<string> {
  const id = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `svc-${randomUUID().slice(0, 8)}` } },
    { taskQueue: h.taskQueue },
  );
  suite.started.add(id);
  return id;
}

it("runs incidents through approval on two workers sharing the task queue, and indexes their state for Temporal's tools", async () => {
  // Both worker processes poll the queue (the suite waited for it): either may take any task.
  expect(suite.workers).toHaveLength(2);

  const approved = await demoIncident();
  const denied = await demoIncident();
  await waitForGate(h.client, approved, { timeoutMs: 60_000 });
  await waitForGate(h.client, denied, { timeoutMs: 60_000 });

  // Temporal's CLI filters by incident state, as an operator would.
  const { stdout } = await waitFor(
    'the open incidents listed by state',
    async () => {
      const out = await run(inject('temporalCli'), [
        'workflow',
        'list',
        '--address',
        cluster.address,
        '--query',
        `TourniquetState='awaiting-approval' AND TaskQueue='${h.taskQueue}'`,
        '-o',
        'json',
      ]);
      return out.stdout.includes(approved) && out.stdout.includes(denied) ? out : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(stdout).toContain('"TourniquetState"');

  expect(await decide(h.client, { incidentId: approved, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({
    applied: true,
  });
  expect(
    await decide(h.client, { incidentId: denied, decision: 'deny', approver: 'carol', reason: 'false positive', via: 'test' }),
  ).toMatchObject({ applied: true });
  expect(((await h.client.workflow.getHandle(approved).result()) as IncidentStatus).state).toBe('resolved');
  expect(((await h.client.workflow.getHandle(denied).result()) as IncidentStatus).state).toBe('denied');

  // Both are COMPLETED to Temporal; the search attributes tell a denial from a resolution.
  const scope = `TaskQueue='${h.taskQueue}' AND TourniquetPlaybook='demo' AND TourniquetRequester='alice' AND TourniquetMode='live' AND TourniquetSource='manual'`;
  await waitFor(
    'the outcomes indexed',
    async () => {
      const [resolved, deniedIds] = await Promise.all([
        idsMatching(`${scope} AND TourniquetOutcome='resolved'`),
        idsMatching(`${scope} AND TourniquetOutcome='denied'`),
      ]);
      return resolved.join() === approved && deniedIds.join() === denied;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(await idsMatching(`TaskQueue='${h.taskQueue}' AND TourniquetState='awaiting-approval'`)).toEqual([]);
  expect((await h.world.actions()).filter((a) => a.incidentId === approved)).toHaveLength(1);
  expect((await h.world.actions()).filter((a) => a.incidentId === denied)).toHaveLength(0);
});

it('keeps an incident waiting for approval through a PostgreSQL restart and a Temporal server restart, then completes it', async () => {
  const id = await demoIncident();
  const before = await waitForGate(h.client, id, { timeoutMs: 60_000 });

  await cluster.postgres.stop();
  await cluster.postgres.start();
  await cluster.stopServer();
  await cluster.startServer();

  // The same incident, the same gate, still waiting: nothing lost, nothing repeated.
  const after = await waitForGate(h.client, id, { timeoutMs: 60_000 });
  expect(after.gates.map((g) => [g.id, g.digest, g.status])).toEqual(before.gates.map((g) => [g.id, g.digest, 'open']));
  expect(after.evidence).toEqual(before.evidence);

  const decision = await waitFor(
    'a decision taken after the restarts',
    async () => {
      const outcome = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      return outcome.applied ? outcome : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1_000 },
  );
  expect(decision).toMatchObject({ applied: true, result: { status: 'approved' } });
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect((await h.world.actions()).filter((a) => a.incidentId === id)).toHaveLength(1);
});
