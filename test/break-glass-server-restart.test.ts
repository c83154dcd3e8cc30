/**
 * A break-glass grant outlives a restart of the Temporal server itself, and expires while no worker
 * runs: the embedded dev server on its SQLite file (as `npm run dev` runs it) is stopped while access
 * is held and started again on the same file, with no worker; the expiry timer, stored there, fires
 * with nobody to act on it (the binding stays), and the worker that comes back revokes the binding on
 * the real API server. Its own server, not the suite-wide one, since this one is stopped.
 *
 * Real time, a one-minute grant (the shortest the playbook takes): the time-skipping server keeps
 * nothing across a restart, and a worker restarted on it cannot replay a history with decisions in
 * it (docs/development.md, "Kubernetes control plane for tests"). Both cases share the one minute.
 */
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { testTrust } from './support/keys';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { parsePolicyFile } from '../activities/approvals/policies';
import { EXPIRES_AT_ANNOTATION, grantBindingName } from '../activities/kubernetes';
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
let closeClient: (() => Promise<void>) | undefined;

beforeAll(async () => {
  cluster = await startWorkerCluster();
  cp = cluster.cp;
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-restart-'));
}, 120_000);

afterAll(async () => {
  await stopWorker?.();
  await closeClient?.();
  await server?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const dbFile = () => join(dir, 'temporal.db');
const taskQueue = `restart-${randomUUID()}`;

/** The dev server on the suite's SQLite file, and a client on it. */
async function startServer(ports: { port: number; uiPort: number }): Promise<Client> {
  server = await startDevServer({ binary: inject('temporalCli'), dbFile: dbFile(), ...ports, namespace: 'default' });
  const connection = await Connection.connect({ address: server.address });
  closeClient = () => connection.close();
  return new Client({ connection });
}

/** A worker on the running server, acting as the worker's ServiceAccount. */
async function startWorker(): Promise<void> {
  const native = await NativeConnection.connect({ address: server!.address });
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
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await native.close();
    stopWorker = undefined;
  };
}

it('revokes at expiry after the Temporal server was restarted, once a worker is back', async () => {
  const ports = { port: await freePort(), uiPort: await freePort() };
  let client = await startServer(ports);
  await startWorker();
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
  const rb = await cluster.admin
    .makeApiClient(RbacAuthorizationV1Api)
    .readNamespacedRoleBinding({ name: grantBindingName(id), namespace: cluster.ns });
  const expiresAt = Date.parse(rb.metadata!.annotations![EXPIRES_AT_ANNOTATION]!);

  // Everything stops: worker first, then the server. The server comes back alone.
  await stopWorker!();
  await closeClient!();
  await server!.stop();
  server = undefined;
  client = await startServer(ports);
  const handle = client.workflow.getHandle(id);
  expect((await handle.describe()).status.name).toBe('RUNNING');

  await waitFor('the grant to expire with no worker running', () => Date.now() > expiresAt + 1_000, {
    timeoutMs: 120_000,
    intervalMs: 500,
  });
  // The timer fired on the server; nothing could act on it yet.
  expect(await userMay(cluster.admin, USER, 'delete', 'pods', cluster.ns)).toBe(true);
  expect((await handle.describe()).status.name).toBe('RUNNING');

  await startWorker();
  const final: IncidentStatus = await handle.result();
  expect(final.state).toBe('resolved');
  expect(await grantsIn(cluster.admin, cluster.ns)).toEqual([]);
  expect(await userMay(cluster.admin, USER, 'delete', 'pods', cluster.ns)).toBe(false);
  const revoke = (await getTimeline(client, id)).find((e) => e.kind === 'action.completed' && e.summary.startsWith('Revoked'));
  expect(revoke!.summary).toMatch(/: expired at /);
});
