/**
 * Every history the worker writes must replay on the code that wrote it, whatever the timing: a
 * worker restart, a cache eviction and a query on a finished incident all replay it, and a run
 * that does not replay is stuck. Some timings come only with load: a status query answered while
 * a local activity runs makes the SDK end the workflow task early, and the activity's result then
 * reaches the workflow beside whatever arrives next (a decision, an activity's completion), which
 * replay may group differently (docs/development.md, "Local activities"). Idle tests miss that,
 * so this suite makes the load itself: incidents in parallel, status queries on each for its whole
 * life, the alert repeating, decisions sent the instant the approval request lands, a Slack too slow
 * for some notices, then every history replayed. It did not catch local steps' bug (its reproduction
 * is test/policy-lookup-cancel.test.ts under load): it guards the common paths, not that one.
 */
import { status } from '@grpc/grpc-js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, startIncident, type DecisionOutcome } from '../client';
import { alertsSignal, type IncidentNotification, type IncidentStatus } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

const INCIDENTS = 12;
const ROUNDS = 2;
/** status queries in flight on each incident */
const QUERIERS = 2;

let h: Harness;
const decisions = new Map<string, Promise<DecisionOutcome>>();
const slowSlack = new Set<string>();

beforeAll(async () => {
  h = await startHarness();
  // A Slack button: the gate, digest and run the request showed, decided at once (while the
  // activity delivering the request is still running).
  const record = h.notifier.notify.bind(h.notifier);
  h.notifier.notify = async (event: IncidentNotification) => {
    // Slack's pace, give or take, so deliveries finish at different points of other tasks; and for
    // every other incident a Slack too slow for a notice riding the action (it misses its budget, a
    // notifyBatch takes it over and is still out while the next steps run)
    const slow = event.kind === 'approval.closed' && slowSlack.has(event.incident.id);
    await new Promise((resolve) => setTimeout(resolve, slow ? 2_500 : Math.random() * 60));
    await record(event);
    const { gate } = event;
    if (event.kind !== 'approval.requested' || !gate?.runStartedAt || decisions.has(event.incident.id)) return;
    const shown = { gateId: gate.id, digest: gate.digest, runStartedAt: gate.runStartedAt };
    decisions.set(
      event.incident.id,
      decide(h.client, { incidentId: event.incident.id, decision: 'approve', approver: 'bob', via: 'test', ...shown }),
    );
  };
});

afterAll(async () => {
  await h?.stop();
});

/** The alert again, as a noisy source repeats it, until the run ends: news that joins whatever the run sends next. */
async function repeatUntilDone(id: string, done: () => boolean): Promise<number> {
  let sent = 0;
  const handle = h.client.workflow.getHandle(id);
  while (!done()) {
    try {
      await handle.signal(alertsSignal, { count: 1, sample: [{ source: 'falco', title: 'again' }] });
      sent += 1;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return sent;
}

/** Asks the run for its status (a query the worker answers) until it ends. */
async function queryUntilDone(id: string, done: () => boolean): Promise<number> {
  let asked = 0;
  const handle = h.client.workflow.getHandle(id);
  while (!done()) {
    try {
      await handle.query<IncidentStatus>('status');
      asked += 1;
    } catch (err) {
      // the server's buffer of queries waiting for a task is full, or none was answered in time: the load this suite wants
      const code = (err as { cause?: { code?: number } }).cause?.code;
      if (err instanceof WorkflowNotFoundError || code === status.RESOURCE_EXHAUSTED || code === status.DEADLINE_EXCEEDED) continue;
      throw err;
    }
  }
  return asked;
}

async function runIncident(round: number, i: number): Promise<{ id: string; queries: number }> {
  const id = await startIncident(
    h.client,
    { requester: 'alice', playbook: 'demo', params: { service: `replay-load-${round}-${i}` } },
    { taskQueue: h.taskQueue },
  );
  if (i % 2 === 1) slowSlack.add(id);
  let done = false;
  const queries = Promise.all(Array.from({ length: QUERIERS }, () => queryUntilDone(id, () => done))).then((n) =>
    n.reduce((a, b) => a + b, 0),
  );
  const repeats = repeatUntilDone(id, () => done);
  try {
    await waitFor('the approval request', () => decisions.has(id), { timeoutMs: 120_000 });
    expect(await decisions.get(id)).toMatchObject({ applied: true });
    const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
    expect(final.state).toBe('resolved');
  } finally {
    done = true;
  }
  await repeats;
  return { id, queries: await queries };
}

describe('histories written under load replay', () => {
  it('incidents decided the instant they ask, with status queries throughout, all replay', async () => {
    const ran: { id: string; queries: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ran.push(...(await Promise.all(Array.from({ length: INCIDENTS }, (_, i) => runIncident(round, i)))));
    }
    // the load this suite is for: queries answered while the incidents ran
    expect(ran.reduce((n, r) => n + r.queries, 0)).toBeGreaterThan(INCIDENTS * ROUNDS);

    const failures: string[] = [];
    const histories = ran.map(({ id }) => ({ workflowId: id, history: h.client.workflow.getHandle(id).fetchHistory() }));
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      (async function* () {
        for (const { workflowId, history } of histories) yield { workflowId, history: await history };
      })(),
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
