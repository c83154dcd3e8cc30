/**
 * rollback-deploy when nobody decides: on the time-skipping test server the gate's ten minutes
 * pass in a second, the incident is denied by default, and the Deployment (on a real API server,
 * its history made by the test deployment controller, test/support/kube/deployment-controller.ts,
 * since no controller-manager runs there) is untouched.
 */
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { INCIDENT_WORKFLOW } from '../client';
import type { IncidentStatus } from '../workflows';
import { RecordingNotifier } from './support/harness';
import { useKubeSuite } from './support/kube/suite';
import type { TimeSkippingStack } from './support/time-skipping';

const kube = useKubeSuite({ controller: true, timeSkipping: () => ({ notifiers: [new RecordingNotifier()] }) });
let admin: KubeConfig;
let ns: string;
let stack: TimeSkippingStack;

beforeAll(async () => {
  ({ admin, ns, stack } = kube);
  for (const tag of ['v1', 'v2']) await kube.controller.deploy('web', { image: `registry.example/web:${tag}` });
});

it('is denied at the approval deadline, and the deployment is not rolled back', async () => {
  const before = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns });
  const handle = await stack.env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: `rollback-deadline-${randomUUID()}`,
    taskQueue: stack.taskQueue,
    args: [{ playbook: 'rollback-deploy', requester: 'alice', params: { namespace: ns, deployment: 'web' } }],
  });
  const final = (await handle.result()) as IncidentStatus;

  expect(final.state).toBe('denied');
  expect(final.gates[0]).toMatchObject({ status: 'expired', action: 'kubeRollbackDeployment', risk: 'high' });
  expect(final.gates[0]!.closed_reason).toMatch(/^no decision by .*: denied by default$/);
  expect(final.clock.action_started_at).toBeUndefined();
  const after = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns });
  expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
  expect(after.spec!.template.spec!.containers[0]!.image).toBe('registry.example/web:v2');
});
