/**
 * break-glass expiry on the time-skipping test server: the grant's half hour passes in a second of
 * real time, and the binding (on a real API server) is gone — also when an extension is still
 * awaiting approval at that moment. (Expiry while no worker runs is in
 * break-glass-server-restart.test.ts, on the dev server: a worker restarted on the time-skipping
 * server cannot replay a history with decisions in it, see docs/development.md.)
 */
import { RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { grantBindingName, EXPIRES_AT_ANNOTATION } from '../activities/kubernetes';
import { decide, getStatus, getTimeline, INCIDENT_WORKFLOW, sendCommand } from '../client';
import type { IncidentStatus } from '../workflows';
import { RecordingNotifier } from './support/harness';
import { grantsIn, testCatalogue, userMay } from './support/kube/break-glass';
import { useKubeSuite } from './support/kube/suite';
import { startTimeSkippingStack, type TimeSkippingStack } from './support/time-skipping';
import { waitFor } from './support/wait';

const USER = 'alice@example.com';
const kube = useKubeSuite();
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
let stack: TimeSkippingStack;

beforeAll(() => {
  ({ admin, worker, ns } = kube);
});

// A fresh time-skipping server per test: its clock starts at the wall clock. Once an incident's
// result has been awaited it runs years ahead, and a grant approved then would expire years after
// the API server's own now, which the worker guard refuses (a grant runs at most its role's
// max-duration from its creation, by the API server's clock).
beforeEach(async () => {
  stack = await startTimeSkippingStack({
    notifiers: [new RecordingNotifier()],
    kubernetes: { kubeConfig: worker },
    breakGlass: testCatalogue(ns),
  });
}, 60_000);

afterEach(async () => {
  await stack?.stop();
});

async function grantedIncident() {
  const id = `breakglass-expiry-${randomUUID()}`;
  const handle = await stack.env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: id,
    taskQueue: stack.taskQueue,
    args: [
      {
        playbook: 'break-glass',
        requester: 'alice',
        params: { role: 'ns-edit', duration: '30m', reason: 'restore orders after a bad migration' },
      },
    ],
  });
  const client = stack.env.client;
  // Workflow time runs ahead of the wall clock once time has been skipped: decisions are valid for a minute of it.
  const validForMs = (await stack.env.currentTimeMs()) - Date.now() + 60_000;
  await waitFor('the grant gate', async () => (await getStatus(client, id)).gates.length === 1);
  await decide(client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', validForMs });
  await decide(client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test', validForMs });
  await waitFor('the grant', async () => (await getStatus(client, id)).state === 'contained');
  const binding = await admin
    .makeApiClient(RbacAuthorizationV1Api)
    .readNamespacedRoleBinding({ name: grantBindingName(id), namespace: ns });
  return { id, handle, expiresAt: binding.metadata!.annotations![EXPIRES_AT_ANNOTATION]! };
}

async function revokedAt(id: string): Promise<number> {
  const timeline = await getTimeline(stack.env.client, id);
  const revoke = timeline.find((e) => e.kind === 'action.completed' && e.summary.startsWith('Revoked'));
  expect(revoke?.summary).toMatch(/: expired at /);
  return Date.parse(revoke!.at);
}

it('grants nothing when nobody decides by the deadline: denied by default', async () => {
  const id = `breakglass-deadline-${randomUUID()}`;
  const handle = await stack.env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: id,
    taskQueue: stack.taskQueue,
    args: [
      {
        playbook: 'break-glass',
        requester: 'alice',
        params: { role: 'ns-edit', duration: '30m', reason: 'restore orders after a bad migration' },
      },
    ],
  });
  const final = (await handle.result()) as IncidentStatus;
  expect(final.state).toBe('denied');
  expect(final.gates[0]).toMatchObject({ status: 'expired', action: 'kubeGrantAccess' });
  expect(final.gates[0]!.closed_reason).toMatch(/^no decision by .*: denied by default$/);
  expect(await grantsIn(admin, ns)).toEqual([]);
});

it('revokes the grant when its time is up', async () => {
  const { id, handle, expiresAt } = await grantedIncident();
  expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);
  const final = (await handle.result()) as IncidentStatus;
  expect(final.state).toBe('resolved');
  expect(await grantsIn(admin, ns)).toEqual([]);
  expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(false);
  expect(await revokedAt(id)).toBeGreaterThanOrEqual(Date.parse(expiresAt));
});

it('revokes at expiry even while an extension awaits approval: the request expires with the grant', async () => {
  const { id, handle, expiresAt } = await grantedIncident();
  await sendCommand(stack.env.client, {
    incidentId: id,
    command: 'extend',
    by: 'alice',
    args: { duration: '1h' },
    reason: 'still restoring',
    via: 'test',
  });
  const extension = await waitFor('the extension gate', async () => (await getStatus(stack.env.client, id)).gates[1]);
  expect(Date.parse(extension.deadline)).toBeLessThanOrEqual(Date.parse(expiresAt));
  const final = (await handle.result()) as IncidentStatus;
  expect(final.gates[1]).toMatchObject({ status: 'expired', action: 'kubeExtendGrant' });
  expect(await grantsIn(admin, ns)).toEqual([]);
  expect(await revokedAt(id)).toBeGreaterThanOrEqual(Date.parse(expiresAt));
});
