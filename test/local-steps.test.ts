/**
 * Evidence and plain verifications run as local activities in new runs (workflows/steps.ts): a
 * worker killed inside one leaves no record of it in history, so the restarted worker replays the
 * run and runs the step again. Nothing is lost and the evidence chain holds. Temporal's cancel does
 * not cut a local step short (the SDK race of LOOKUP_NOT_CANCELLED_PATCH): the run ends right after it.
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

/** Makes the demo world's file for `service` a FIFO: the snapshot's read blocks in it until `release`. */
function blockSnapshot(service: string) {
  const services = join(h.world.dir, 'services');
  mkdirSync(services, { recursive: true });
  const fifo = join(services, `${service}.json`);
  execFileSync('mkfifo', [fifo]);
  return {
    /** Opening the FIFO to write without blocking succeeds only once a reader has it: the snapshot is running. */
    reading: () =>
      waitFor(
        'the snapshot reading the service',
        async () => {
          try {
            writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
            return true;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 45_000 },
      ),
    /** the read ends (an empty file: the demo world answers its default) and the next one finds no file */
    release: () => {
      unlinkSync(fifo);
      if (writer !== undefined) closeSync(writer);
      writer = undefined;
    },
  };
}

it('a worker killed inside the evidence step: after restart the step runs again, the gate opens, and the evidence chain holds', async () => {
  const service = `local-crash-${process.pid}`;
  const blocked = blockSnapshot(service);
  worker = spawnWorker(h);
  const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
  await blocked.reading();
  await worker.kill();
  blocked.release();

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

it("Temporal's cancel during a local evidence step: the step is not cut short, the run ends cancelled right after it", async () => {
  const service = `local-cancel-${process.pid}`;
  const blocked = blockSnapshot(service);
  worker ??= spawnWorker(h);
  const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
  const handle = h.client.workflow.getHandle(id);
  await blocked.reading();
  await handle.cancel();
  // The run sees the cancel while the step still runs: the SDK completes the task its local activity
  // holds open (a heartbeat, at 8 s of its 10 s timeout) and the next task brings the cancel.
  await waitFor(
    'the cancel delivered to the run',
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const requested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
      return requested >= 0 && events.slice(requested).some((e) => e.workflowTaskCompletedEventAttributes);
    },
    { timeoutMs: 45_000 },
  );
  expect((await handle.describe()).status.name).toBe('RUNNING');
  blocked.release();
  await waitFor('the run ended', async () => (await handle.describe()).status.name !== 'RUNNING', { timeoutMs: 30_000 });
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
  // the step ran to its end (its marker is in history) and nothing came after it: no gate, no action
  const local = events.flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    return data ? [JSON.parse(Buffer.from(data).toString()).activity_type as string] : [];
  });
  expect(local[0]).toBe('demoSnapshot');
  expect(local).not.toContain('resolveApprovalPolicy');
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => /^(approval|action)\./.test(e.kind))).toEqual([]);
  expect(timeline.find((e) => e.kind === 'incident.finished')?.summary).toMatch(/^cancelled/);
});
