/**
 * The break-glass sweep inside Tourniquet: the real worker (worker/main.ts, a child process with the
 * worker's ServiceAccount kubeconfig) sets up a Temporal Schedule at start-up; a second worker finds
 * it and leaves it as it is; a run of it deletes an expired grant whose incident is gone, on a real
 * API server, and leaves the rest. (The sweep's rules themselves, by hand through the CLI, are in
 * break-glass.test.ts.)
 */
import { RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ScheduleHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXPIRES_LABEL, INCIDENT_LABEL } from '../activities/kubernetes';
import type { GrantSweepResult } from '../workflows/grant-sweep';
import { ensureSweepSchedule, sweepScheduleId } from '../worker/sweep-schedule';
import { startHarness, type Harness } from './support/harness';
import { grantsIn } from './support/kube/break-glass';
import type { ControlPlane } from './support/kube/control-plane';
import { startWorkerCluster } from './support/kube/worker-cluster';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';

let cp: ControlPlane;
let admin: KubeConfig;
let ns: string;
let h: Harness;
let kubeconfig: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const cluster = await startWorkerCluster();
  ({ cp, admin, ns } = cluster);
  h = await startHarness({ worker: false });
  kubeconfig = join(h.dir, 'worker.kubeconfig');
  writeFileSync(kubeconfig, cluster.worker.exportConfig(), { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.kill();
  await h?.client.schedule
    .getHandle(sweepScheduleId(h.taskQueue))
    .delete()
    .catch(() => {});
  await h?.stop();
  await cp?.stop();
});

/** The real worker with Kubernetes, logging at info so its start-up says what it did with the schedule. */
async function startWorker(sweep: string): Promise<string> {
  const w = spawnWorker(h, { KUBECONFIG: kubeconfig, TOURNIQUET_BREAKGLASS_SWEEP: sweep, LOG_LEVEL: 'info' });
  workers.push(w);
  const line = await waitFor(
    'the worker to set up the sweep schedule',
    () =>
      w
        .output()
        .split('\n')
        .find((l) => l.includes('break-glass sweep')),
    { timeoutMs: 90_000 },
  );
  await waitFor('the worker to run', () => w.output().includes('"msg":"worker running"'), { timeoutMs: 30_000 });
  return line;
}

async function schedulesNamed(id: string): Promise<number> {
  let n = 0;
  for await (const s of h.client.schedule.list()) if (s.scheduleId === id) n++;
  return n;
}

it('the worker creates one schedule per task queue at start-up; a second worker leaves it as it is', async () => {
  const id = sweepScheduleId(h.taskQueue);
  expect(await startWorker('1h')).toContain('"change":"created"');
  const handle = h.client.schedule.getHandle(id);
  const described = await handle.describe();
  expect(described.spec.intervals?.map((i) => i.every)).toEqual([3_600_000]);
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'breakGlassSweepWorkflow', taskQueue: h.taskQueue });
  // As `temporal schedule list` shows it (visibility is eventually consistent).
  await waitFor('the schedule in the list', async () => (await schedulesNamed(id)) === 1);

  expect(await startWorker('1h')).toContain('"change":"unchanged"');
  expect(await schedulesNamed(id)).toBe(1);
  // A new interval in the configuration is applied, not added beside the old one.
  expect(await ensureSweepSchedule(h.client, h.taskQueue, 600_000)).toBe('updated');
  expect((await handle.describe()).spec.intervals?.map((i) => i.every)).toEqual([600_000]);
  expect(await ensureSweepSchedule(h.client, h.taskQueue, 600_000)).toBe('unchanged');
  expect(await schedulesNamed(id)).toBe(1);
}, 240_000);

it('a run of the schedule deletes an expired grant whose incident is gone, and keeps one not yet expired', async () => {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const nowSec = Math.floor(Date.now() / 1000);
  const made = (name: string, incidentId: string, expiresSec: number) =>
    rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: {
          name,
          labels: { 'app.kubernetes.io/managed-by': 'tourniquet', [INCIDENT_LABEL]: incidentId, [EXPIRES_LABEL]: String(expiresSec) },
          annotations: { 'tourniquet.io/incident-id': incidentId },
        },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'tourniquet-breakglass-view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' }],
      },
    });
  // Left by an incident terminated by hand (its workflow no longer exists here), expired a minute ago.
  const gone = `inc-break-glass-gone-${randomUUID()}`;
  await made('left-behind', gone, nowSec - 60);
  await made('not-yet', `inc-break-glass-later-${randomUUID()}`, nowSec + 3600);

  const handle: ScheduleHandle = h.client.schedule.getHandle(sweepScheduleId(h.taskQueue));
  await handle.trigger();
  await waitFor(
    'the expired grant to be deleted',
    async () => (await grantsIn(admin, ns)).map((b) => b.metadata!.name).join() === 'not-yet',
    { timeoutMs: 60_000 },
  );
  // What the run reports (a run of the interval may have come first or after: the one that deleted it says so).
  const runs = (await handle.describe()).info.recentActions.map((a) => a.action.workflow);
  const results: GrantSweepResult[] = await Promise.all(
    runs.map((r) => h.client.workflow.getHandle(r.workflowId, r.firstExecutionRunId).result()),
  );
  const ours = results.map((r) =>
    r.grants
      .filter((g) => g.namespace === ns)
      .map((g) => [g.name, g.outcome, g.incidentId])
      .sort(),
  );
  expect(ours).toContainEqual([
    ['left-behind', 'deleted', gone],
    ['not-yet', 'not expired', expect.stringMatching(/^inc-break-glass-later-/)],
  ]);
}, 120_000);
