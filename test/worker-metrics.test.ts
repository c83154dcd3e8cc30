/**
 * A standalone worker serves its own /metrics, and the Temporal SDK's metrics when asked: the real
 * worker/main.ts in a child process, scraped over HTTP after it has run an incident.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';
import { waitForGate } from './support/gates';
import { freePort } from './support/ports';

let h: Harness;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.stop();
});

it('serves incident metrics and Temporal SDK metrics', async () => {
  const [metricsPort, sdkPort] = [await freePort(), await freePort()];
  worker = spawnWorker(h, { TOURNIQUET_METRICS_PORT: String(metricsPort), TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkPort}` });
  const id = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `wm-${process.pid}` } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, id, { timeoutMs: 45_000 });
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  await h.client.workflow.getHandle(id).result();

  const ours = await waitFor('incident metrics on the worker', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return text.includes('outcome="resolved"') ? text : undefined;
  });
  expect(ours).toContain('tourniquet_incidents_total{playbook="demo",mode="live",outcome="resolved"} 1');
  const sdk = await waitFor('Temporal SDK metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text();
    return /temporal_[a-z_]+/.test(text) ? text : undefined;
  });
  expect(sdk).toMatch(/temporal_workflow_completed|temporal_activity_execution|temporal_request/);
}, 120_000);
