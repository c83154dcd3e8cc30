/**
 * isolate-pod when nobody decides: on the time-skipping test server the gate's ten minutes pass in
 * a second, the incident is denied by default, and the pod (on a real API server) is untouched.
 */
import { CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { INCIDENT_WORKFLOW } from '../client';
import type { IncidentStatus } from '../workflows';
import { RecordingNotifier } from './support/harness';
import { createPod } from './support/kube/objects';
import { useKubeSuite } from './support/kube/suite';
import type { TimeSkippingStack } from './support/time-skipping';

const LABELS = { app: 'shop' };
const kube = useKubeSuite({
  setup: async ({ admin, ns }) => {
    await createPod(admin, ns, 'shop-1', { labels: LABELS });
  },
  timeSkipping: () => ({ notifiers: [new RecordingNotifier()] }),
});
let admin: KubeConfig;
let ns: string;
let stack: TimeSkippingStack;
beforeAll(() => {
  ({ admin, ns, stack } = kube);
});

it('is denied at the approval deadline, and the pod keeps its labels and gets no policy', async () => {
  const id = `isolate-deadline-${randomUUID()}`;
  const handle = await stack.env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: id,
    taskQueue: stack.taskQueue,
    args: [{ playbook: 'isolate-pod', requester: 'alice', params: { namespace: ns, pod: 'shop-1' } }],
  });
  const final = (await handle.result()) as IncidentStatus;

  expect(final.state).toBe('denied');
  expect(final.gates[0]).toMatchObject({ status: 'expired', action: 'kubeIsolatePod', risk: 'high' });
  expect(final.gates[0]!.closed_reason).toMatch(/^no decision by .*: denied by default$/);
  expect(final.clock.action_started_at).toBeUndefined();
  const pod = await admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'shop-1', namespace: ns });
  expect(pod.metadata!.labels).toEqual(LABELS);
  const policies = await admin.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: ns });
  expect(policies.items).toEqual([]);
});
