/**
 * A break-glass grant outlives a restart of the Temporal server itself: the embedded dev server on
 * its SQLite file (as `npm run dev` runs it) is stopped while access is held and started again on
 * the same file; the expiry timer, stored there, still fires and the worker revokes the binding on
 * the real API server. Its own server, not the suite-wide one, since this one is stopped.
 */
import { Client, Connection } from '@temporalio/client';
import { testTrust } from './support/keys';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { parsePolicyFile } from '../activities/approvals/policies';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { startDevServer, type DevServer } from '../worker/dev-server';
import { buildActivityDeps, createWorker } from '../worker/worker';
import { RecordingNotifier, TEST_POLICIES } from './support/harness';
import { grantsIn, testCatalogue, userMay } from './support/kube/break-glass';
import type { ControlPlane } from './support/kube/control-plane';
import { startWorkerCluster, type WorkerCluster } from './support/kube/worker-cluster';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const USER = 'alice@example.com';
let cluster: WorkerCluster;
let cp: ControlPlane | undefined;
let dir: string;
let server: DevServer | undefined;
let stopWorker: (() => Promise<void>) | undefined;

beforeAll(async () => {
  cluster = await startWorkerCluster();
  cp = cluster.cp;
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-restart-'));
}, 120_000);

afterAll(async () => {
  await stopWorker?.();
  await server?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const dbFile = () => join(dir, 'temporal.db');
const taskQueue = `restart-${randomUUID()}`;

/** The dev server on the suite's SQLite file, a worker and a client on it. */
async function startStack(ports: { port: number; uiPort: number }) {
  server = await startDevServer({ binary: inject('temporalCli'), dbFile: dbFile(), ...ports, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const deps = buildActivityDeps({
    policies: parsePolicyFile(TEST_POLICIES),
    evidenceDir: join(dir, 'evidence'),
    demoWorld: join(dir, 'demo'),
    notifiers: [new RecordingNotifier()],
    trust: testTrust(),
    kubernetes: { kubeConfig: cluster.worker },
    breakGlass: testCatalogue(cluster.ns),
  });
  const worker: Worker = await createWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    deps,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    stopWorker = undefined;
  };
  return new Client({ connection });
}

it('revokes at expiry after the Temporal server was restarted while access was held', async () => {
  const ports = { port: await freePort(), uiPort: await freePort() };
  let client = await startStack(ports);
  const id = await startIncident(
    client,
    {
      playbook: 'break-glass',
      requester: 'alice',
      params: { role: 'ns-edit', duration: '1m', reason: 'restore orders after a bad migration' },
    },
    { taskQueue },
  );
  await waitFor('the grant gate', async () => (await getStatus(client, id)).state === 'awaiting-approval', { timeoutMs: 60_000 });
  await decide(client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  await decide(client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test' });
  await waitFor('the grant', async () => (await getStatus(client, id)).state === 'contained', { timeoutMs: 60_000 });
  expect(await userMay(cluster.admin, USER, 'delete', 'pods', cluster.ns)).toBe(true);

  // Everything stops: worker first, then the server.
  await stopWorker!();
  await server!.stop();
  server = undefined;

  client = await startStack(ports);
  expect((await getStatus(client, id)).state).toBe('contained');
  const final: IncidentStatus = await waitFor(
    'the incident to finish after the restart',
    async () => {
      const status = await getStatus(client, id);
      return status.state === 'resolved' && status;
    },
    { timeoutMs: 150_000, intervalMs: 500 },
  );
  expect(final.state).toBe('resolved');
  expect(await grantsIn(cluster.admin, cluster.ns)).toEqual([]);
  expect(await userMay(cluster.admin, USER, 'delete', 'pods', cluster.ns)).toBe(false);
  const revoke = (await getTimeline(client, id)).find((e) => e.kind === 'action.completed' && e.summary.startsWith('Revoked'));
  expect(revoke!.summary).toMatch(/: expired at /);
});
