/**
 * Two gateways behind one load balancer, on the production topology: the suite's own Temporal
 * cluster on PostgreSQL and two worker processes. Each gateway has its own Temporal connection and
 * its own coalescer, as two gateway replicas do; the same alert storm reaches both at once (an HA
 * pair of senders, or a balancer spreading re-sends), and the incident still comes out as one, with
 * every delivery and every distinct alert counted exactly once.
 */
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getStatus } from '../client';
import { useClusterSuite } from './support/cluster-suite';
import type { Harness } from './support/harness';
import { bearer, bounded, fixture, post, startIntakeGateway, TOKENS, type Answer, type IntakeGateway } from './support/intake';
import { DEMO_ROUTES } from './support/routes';
import { waitFor } from './support/wait';

const suite = useClusterSuite({ workers: 2 });
let h: Harness;
let connection: Connection;
let gateways: IntakeGateway[] = [];

beforeAll(async () => {
  ({ h } = suite);
  // The second gateway is another replica: its own connection and client, nothing shared in-process.
  connection = await Connection.connect({ address: suite.cluster.address });
  gateways = [
    await startIntakeGateway(h.client, h.taskQueue, { routes: DEMO_ROUTES }),
    await startIntakeGateway(new Client({ connection }), h.taskQueue, { routes: DEMO_ROUTES }),
  ];
});
afterAll(async () => {
  await Promise.all(gateways.map((gw) => gw.close()));
  await connection?.close();
});

/** `distinct` Falco events (each its own uuid) of one shell in one namespace: one incident's worth. */
function falcoEvents(namespace: string, distinct: number): string[] {
  const event = fixture('falco-terminal-shell.json');
  return Array.from({ length: distinct }, () =>
    JSON.stringify({ ...event, uuid: randomUUID(), output_fields: { ...event.output_fields, 'k8s.ns.name': namespace } }),
  );
}

/**
 * Posts as a sender does: a 503 ("not recorded; retry") is sent again, a few times. The answers
 * are the last one of each alert, and how many 503s came before.
 */
async function deliver(url: string, body: string): Promise<{ answer: Answer; refused: number }> {
  for (let refused = 0; ; refused += 1) {
    const answer = await post(url, body, bearer(TOKENS.falco));
    if (answer.status !== 503 || refused === 4) return { answer, refused };
  }
}

it('two gateways receiving the same alert storm at once open one incident, with exact delivery and distinct counts', async () => {
  const DISTINCT = 40;
  const REPEATS = 25;
  const events = falcoEvents(`storm-${randomUUID().slice(0, 8)}`, DISTINCT);
  // Every event REPEATS times to each gateway, both gateways at once: 2 × 40 × 25 = 2,000 deliveries.
  const perGateway = DISTINCT * REPEATS;
  const results = (
    await Promise.all(gateways.map((gw) => bounded(perGateway, 25, (i) => deliver(`${gw.url}/alerts/falco`, events[i % DISTINCT]!))))
  ).flat();
  const answers = results.map((r) => r.answer);

  expect(answers.filter((a) => a.status !== 202)).toEqual([]);
  const ids = new Set(answers.map((a) => a.body.incidentId as string));
  expect(ids.size).toBe(1);
  const [id] = ids as Set<string>;
  suite.started.add(id!);
  // One start won the race; every other delivery, on either gateway, joined it.
  expect(answers.filter((a) => a.body.status === 'new')).toHaveLength(1);
  expect(answers.filter((a) => a.body.status === 'joined')).toHaveLength(2 * perGateway - 1);

  // Each delivery counted once: a 503 answered "not recorded" and was not, or its retry would count twice.
  const status = await waitFor(
    'every delivery counted',
    async () => {
      const s = await getStatus(h.client, id!);
      return s.alerts.total >= 2 * perGateway ? s : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await waitFor('both gateways flushed', () => gateways.every((gw) => gw.stats().coalescer.pending === 0));
  expect((await getStatus(h.client, id!)).alerts).toMatchObject({
    total: 2 * perGateway,
    distinct: DISTINCT,
    firing: DISTINCT,
    resolved: 0,
    exact: true,
  });
  expect(status.alerts.total).toBe(2 * perGateway);
});
