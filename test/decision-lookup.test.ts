/**
 * decide() without a gate id finds the gate in the incident's memo, which the server answers
 * alone, instead of asking the workflow (a workflow task on a worker): one round trip, the Update.
 * When the memo names no gate, it asks the incident as before, with the same refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { GATE_MEMO, type IncidentStatus } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitForGate } from './support/gates';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function startDemo(service: string) {
  const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
  return { id, status: await waitForGate(h.client, id) };
}

describe('a decision that names no gate', () => {
  it('finds the open gate in the memo, without a worker, and the memo forgets the gate once decided', async () => {
    const service = `lookup-${process.pid}`;
    const { id, status } = await startDemo(service);
    const gate = status.gates[0]!;
    const handle = h.client.workflow.getHandle(id);
    expect((await handle.describe()).memo?.[GATE_MEMO]).toEqual({
      id: 'g1',
      digest: gate.digest,
      runStartedAt: gate.runStartedAt,
      step: `Quarantine service ${service}`,
      action: 'demoQuarantine',
      target: `service/${service}`,
    });

    // No worker to answer a status query: the decision is still signed for g1 and sent, and is
    // reported as not taken (the Update's own timeout), not as a lookup nobody answered.
    await h.stopWorker();
    const lost = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', validForMs: 1_500 });
    expect(lost).toMatchObject({ applied: false, code: 'EngineUnavailable' });
    expect(lost.applied === false && lost.message).toMatch(/did not take the decision within 2s .*it was NOT applied and will not be/);
    await h.startWorker();

    const applied = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    expect(applied).toMatchObject({
      applied: true,
      gate: { id: 'g1', step: `Quarantine service ${service}` },
      result: { gateId: 'g1', status: 'approved' },
    });
    // `approve --json` prints this gate: the same fields whichever way it was found, nothing more
    expect(applied.applied && applied.gate).toEqual({
      id: 'g1',
      step: `Quarantine service ${service}`,
      action: 'demoQuarantine',
      target: `service/${service}`,
      digest: gate.digest,
      runStartedAt: gate.runStartedAt,
    });
    const final: IncidentStatus = await handle.result();
    expect(final.state).toBe('resolved');
    expect(final.gates[0]!.votes.map((v) => [v.approver, v.signer?.by])).toEqual([['carol', 'person']]);
    expect((await handle.describe()).memo?.[GATE_MEMO]).toBeUndefined();
  });

  it('asks the incident when the memo names none, and says there is no open gate', async () => {
    const { id } = await startDemo(`lookup-none-${process.pid}`);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'false positive' });
    const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
    expect(final.state).toBe('denied');
    const late = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    expect(late).toEqual({ applied: false, code: 'NoOpenGate', message: `incident ${id} (denied) has no open gate` });
  });
});
