/**
 * Evidence and plain verifications run as local activities in new runs (workflows/steps.ts): a
 * worker killed inside one leaves no record of it in history, so the restarted worker replays the
 * run and runs the step again. Nothing is lost and the evidence chain holds.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, getTimeline, startIncident } from '../client';
import { verifyEvidence } from '../activities/evidence';
import type { IncidentStatus } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';
import { waitForGate } from './support/gates';

let h: Harness;
let worker: WorkerProcess | undefined;
let writer: number | undefined;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  if (writer !== undefined) closeSync(writer);
  await worker?.kill();
  await h?.stop();
});

it('a worker killed inside the evidence step: after restart the step runs again, the gate opens, and the evidence chain holds', async () => {
  const service = `local-crash-${process.pid}`;
  // The demo world's file for the service is a FIFO: the snapshot's read blocks in it until we let go.
  const services = join(h.world.dir, 'services');
  mkdirSync(services, { recursive: true });
  const fifo = join(services, `${service}.json`);
  execFileSync('mkfifo', [fifo]);

  worker = spawnWorker(h);
  const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
  // Opening the FIFO to write without blocking succeeds only once a reader has it: the snapshot is running.
  writer = await waitFor(
    'the snapshot reading the service',
    async () => {
      try {
        return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 45_000 },
  );
  await worker.kill();
  closeSync(writer);
  writer = undefined;
  unlinkSync(fifo);

  // The step left nothing in history: no marker, no evidence, no activity to time out.
  const events = (await h.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toEqual([]);
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);

  worker = spawnWorker(h);
  // the dead worker's workflow task times out (10 s), and the new worker runs the run's first task again
  const gated = await waitForGate(h.client, id, { timeoutMs: 60_000 });
  expect(gated.evidence.map((e) => [e.seq, e.name])).toEqual([
    [1, 'service snapshot (before)'],
    [2, `approvers: Quarantine service ${service}`],
  ]);

  expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({ applied: true });
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(final.evidence.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect((await verifyEvidence(h.deps.store, final.evidence)).ok).toBe(true);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'evidence.recorded')).toHaveLength(3);
  expect(timeline.filter((e) => e.kind === 'verify.passed')).toHaveLength(1);
  expect((await h.world.actions()).filter((a) => a.incidentId === id)).toEqual([
    expect.objectContaining({ service, change: 'quarantine' }),
  ]);
});
