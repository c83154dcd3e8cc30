import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';
import { waitForGate } from './support/gates';

let h: Harness;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.stop();
});

it('a worker killed during the approval wait loses nothing: a decision sent meanwhile is reported unapplied, and the same incident continues after restart without repeating a step', async () => {
  worker = spawnWorker(h);
  const service = `crash-${process.pid}`;
  const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
  const before = await waitForGate(h.client, id, { timeoutMs: 45_000 });
  const gate = before.gates[0]!;

  await worker.kill();

  // As a Slack button would: gate and digest known, no query needed. Nobody is there to take it.
  const lost = await decide(h.client, {
    incidentId: id,
    gateId: gate.id,
    digest: gate.digest,
    runStartedAt: gate.runStartedAt!,
    decision: 'approve',
    approver: 'bob',
    via: 'test',
    validForMs: 1_500,
  });
  expect(lost).toMatchObject({ applied: false, code: 'EngineUnavailable' });
  expect(lost.applied === false && lost.message).toMatch(/NOT applied/);

  worker = spawnWorker(h);
  // The refusal audit (a signal carrying the signed decision, stored by the server while no worker
  // ran) reaches the timeline: the workflow checks bob's signature and finds the decision expired…
  const audit = await waitFor(
    'the unapplied decision on the timeline',
    async () => (await getTimeline(h.client, id)).find((e) => e.kind === 'approval.refused' && e.details?.code === 'DecisionExpired'),
    { timeoutMs: 45_000 },
  );
  expect(audit).toMatchObject({ actor: 'bob', details: { signer: { by: 'person' } } });
  // …and the late decision itself was never applied.
  const afterRestart = await getStatus(h.client, id);
  expect(afterRestart.gates[0]).toMatchObject({ status: 'open', votes: [] });
  expect(afterRestart.evidence.map((e) => e.seq)).toEqual([1, 2]);

  const applied = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
  expect(applied).toMatchObject({ applied: true, result: { status: 'approved' } });
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(final.gates[0]!.votes.map((v) => v.approver)).toEqual(['carol']);
  expect(final.evidence.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect((await h.world.actions()).filter((a) => a.incidentId === id)).toEqual([
    expect.objectContaining({ service, change: 'quarantine' }),
  ]);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  expect(timeline.filter((e) => e.kind === 'evidence.recorded')).toHaveLength(3);
});
