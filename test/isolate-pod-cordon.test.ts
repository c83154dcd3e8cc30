/**
 * isolate-pod's optional node cordon, against a real API server as the worker: its own gate after
 * the isolation, a real cordon once approved, a dry run in drill mode.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import type { ControlPlane } from './support/kube/control-plane';
import { waitFor } from './support/wait';
import { startWorkerCluster } from './support/kube/worker-cluster';

let cp: ControlPlane;
let admin: KubeConfig;
let ns: string;
let h: Harness;
const open = new Set<string>();

beforeAll(async () => {
  const cluster = await startWorkerCluster();
  ({ cp, admin, ns } = cluster);
  const worker = cluster.worker;
  h = await startHarness({ kubernetes: { kubeConfig: worker } });
}, 120_000);

afterEach(async () => {
  for (const id of open) await h.client.workflow.getHandle(id).cancel().catch(() => {});
  open.clear();
});

afterAll(async () => {
  await h?.stop();
  await cp?.stop();
});

/** A node and a pod bound to it (no scheduler runs: nodeName is set directly). */
async function podOnNode(name: string): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const node = `node-${name}`;
  await core.createNode({ body: { metadata: { name: node } } });
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name, labels: { app: 'shop' } }, spec: { nodeName: node, containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
  });
  return node;
}

async function approveGate(id: string, action: string, approver: string): Promise<void> {
  const gate = await waitFor(`the ${action} gate`, async () => (await getStatus(h.client, id)).gates.find((g) => g.action === action && g.status === 'open'));
  await decide(h.client, { incidentId: id, decision: 'approve', approver, via: 'test', gateId: gate.id });
}

async function run(pod: string, mode: 'live' | 'drill'): Promise<string> {
  const id = await startIncident(h.client, { playbook: 'isolate-pod', requester: 'alice', mode, params: { namespace: ns, pod, cordonNode: true } }, { taskQueue: h.taskQueue });
  open.add(id);
  await approveGate(id, 'kubeIsolatePod', 'bob');
  await approveGate(id, 'kubeCordonNode', 'carol');
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  open.delete(id);
  expect(final.state).toBe('resolved');
  return id;
}

const unschedulable = async (node: string) => (await admin.makeApiClient(CoreV1Api).readNode({ name: node })).spec?.unschedulable ?? false;

it('cordons the pod\'s node behind a gate of its own, after the isolation', async () => {
  const node = await podOnNode('shop-1');
  const id = await run('shop-1', 'live');
  expect(await unschedulable(node)).toBe(true);
  const completed = (await getTimeline(h.client, id)).filter((e) => e.kind === 'action.completed').map((e) => e.summary);
  expect(completed).toEqual([expect.stringMatching(/^Isolate pod /), `Cordoned node ${node} (approved by carol)`]);
});

it('in a drill, dry-runs the cordon', async () => {
  const node = await podOnNode('shop-2');
  const id = await run('shop-2', 'drill');
  expect(await unschedulable(node)).toBe(false);
  const completed = (await getTimeline(h.client, id)).filter((e) => e.kind === 'action.completed').map((e) => e.summary);
  expect(completed[1]).toBe(`DRILL: would cordon node ${node}`);
});
