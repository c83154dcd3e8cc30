/**
 * isolate-pod's optional node cordon, against a real API server as the worker: its own gate after
 * the isolation, a real cordon once approved, a dry run in drill mode.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { beforeAll, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { Harness } from './support/harness';
import { waitFor } from './support/wait';
import { useKubeSuite } from './support/kube/suite';

const kube = useKubeSuite({ harness: () => ({}) });
const { open, finished } = kube;
let admin: KubeConfig;
let ns: string;
let h: Harness;
beforeAll(() => {
  ({ admin, ns, h } = kube);
});

/** A node and a pod bound to it (no scheduler runs: nodeName is set directly). */
async function podOnNode(name: string): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const node = `node-${name}`;
  await core.createNode({ body: { metadata: { name: node } } });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name, labels: { app: 'shop' } },
      spec: { nodeName: node, containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    },
  });
  return node;
}

async function approveGate(id: string, action: string, approver: string): Promise<void> {
  const gate = await waitFor(`the ${action} gate`, async () =>
    (await getStatus(h.client, id)).gates.find((g) => g.action === action && g.status === 'open'),
  );
  await decide(h.client, { incidentId: id, decision: 'approve', approver, via: 'test', gateId: gate.id });
}

async function run(pod: string, mode: 'live' | 'drill'): Promise<string> {
  const id = await startIncident(
    h.client,
    { playbook: 'isolate-pod', requester: 'alice', mode, params: { namespace: ns, pod, cordonNode: true } },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  await approveGate(id, 'kubeIsolatePod', 'bob');
  await approveGate(id, 'kubeCordonNode', 'carol');
  const final = await finished(id);
  expect(final.state).toBe('resolved');
  return id;
}

const unschedulable = async (node: string) => (await admin.makeApiClient(CoreV1Api).readNode({ name: node })).spec?.unschedulable ?? false;

it("cordons the pod's node behind a gate of its own, after the isolation", async () => {
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
