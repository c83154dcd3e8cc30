/**
 * break-glass across worker crashes: the real worker process (configured from the environment, as
 * deployed: KUBECONFIG with the worker ServiceAccount's credentials, TOURNIQUET_BREAKGLASS with the
 * catalogue) is SIGKILLed while the request waits for approval, and again while access is held.
 * The same incident goes on after a restart: one grant, one revoke, on a real API server.
 */
import { type KubeConfig } from '@kubernetes/client-node';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, sendCommand, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { waitForGate } from './support/gates';
import type { Harness } from './support/harness';
import { grantsIn, testCatalogueFile, userMay } from './support/kube/break-glass';
import { useKubeSuite } from './support/kube/suite';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';

const USER = 'alice@example.com';
const kube = useKubeSuite({ harness: () => ({ worker: false }) });
let admin: KubeConfig;
let ns: string;
let h: Harness;
let env: Record<string, string>;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  ({ admin, ns, h } = kube);
  env = { KUBECONFIG: join(h.dir, 'worker.kubeconfig'), TOURNIQUET_BREAKGLASS: join(h.dir, 'breakglass.json') };
  await writeFile(env.KUBECONFIG!, kube.worker.exportConfig(), { mode: 0o600 });
  await writeFile(env.TOURNIQUET_BREAKGLASS!, JSON.stringify(testCatalogueFile(ns)));
});

afterEach(async () => {
  await worker?.kill();
  worker = undefined;
});

afterAll(async () => {
  await worker?.kill();
});

const startWorker = () => spawnWorker(h, env);

async function request(): Promise<string> {
  return startIncident(
    h.client,
    {
      playbook: 'break-glass',
      requester: 'alice',
      params: { role: 'ns-edit', duration: '30m', reason: 'restore orders after a bad migration' },
    },
    { taskQueue: h.taskQueue },
  );
}

async function approveTwice(id: string): Promise<void> {
  for (const approver of ['bob', 'dana']) {
    expect(await decide(h.client, { incidentId: id, decision: 'approve', approver, via: 'test', validForMs: 45_000 })).toMatchObject({
      applied: true,
    });
  }
}

async function grantedAndRevokedOnce(id: string): Promise<void> {
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(await grantsIn(admin, ns)).toEqual([]);
  const done = (await getTimeline(h.client, id)).filter((e) => e.kind === 'action.completed').map((e) => e.summary);
  expect(done.filter((s) => s.startsWith('Granted'))).toHaveLength(1);
  expect(done.filter((s) => s.startsWith('Revoked'))).toHaveLength(1);
}

it('a worker killed while the request awaits approval: after restart it grants once', async () => {
  worker = startWorker();
  const id = await request();
  await waitForGate(h.client, id, { timeoutMs: 45_000 });
  await worker.kill();
  worker = startWorker();
  await approveTwice(id);
  await waitFor('the grant', async () => (await getStatus(h.client, id)).state === 'contained', { timeoutMs: 45_000 });
  expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);
  expect(await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'bob', via: 'test', timeoutMs: 45_000 })).toMatchObject({
    applied: true,
  });
  await grantedAndRevokedOnce(id);
});

it('a worker killed while access is held: the grant stays, and the next worker revokes it once', async () => {
  worker = startWorker();
  const id = await request();
  await waitForGate(h.client, id, { timeoutMs: 45_000 });
  await approveTwice(id);
  await waitFor('the grant', async () => (await getStatus(h.client, id)).state === 'contained', { timeoutMs: 45_000 });
  await worker.kill();
  expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);
  worker = startWorker();
  expect(
    await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'carol', reason: 'done', via: 'test', timeoutMs: 45_000 }),
  ).toMatchObject({ applied: true });
  await grantedAndRevokedOnce(id);
  expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(false);
});
