/**
 * Metrics move when incidents happen: counted from the incidents' own notifications and from
 * failed activity attempts, served at /metrics on the gateway.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IncidentMetrics } from '../activities/metrics/incident-metrics';
import { decide, startIncident } from '../client';
import { startGateway, type RunningGateway } from '../gateway/server';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';
import { FAILURE_TYPES } from '../workflows/failure-types';

let h: Harness;
let gateway: RunningGateway;
const metrics = new IncidentMetrics();

beforeAll(async () => {
  h = await startHarness({ metrics });
  gateway = await startGateway({ client: h.client, metrics: metrics.registry, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await h?.stop();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${gateway.url}/metrics`);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

it('counts incidents by outcome, refusals by reason, durations, and failed activity attempts', async () => {
  const approved = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `m1-${process.pid}` } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, approved);
  await decide(h.client, { incidentId: approved, decision: 'approve', approver: 'alice', via: 'cli' });
  await decide(h.client, { incidentId: approved, decision: 'approve', approver: 'mallory', via: 'cli' });
  await decide(h.client, { incidentId: approved, decision: 'approve', approver: 'bob', via: 'cli' });
  await h.client.workflow.getHandle(approved).result();

  const denied = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', mode: 'drill', params: { service: `m2-${process.pid}` } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, denied);
  await decide(h.client, { incidentId: denied, decision: 'deny', approver: 'carol', via: 'cli', reason: 'drill over' });
  await h.client.workflow.getHandle(denied).result();

  // A policy that does not exist: the policy lookup fails (non-retryable) and the incident fails.
  const broken = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', policy: 'no-such-policy', params: { service: `m3-${process.pid}` } },
    { taskQueue: h.taskQueue },
  );
  await h.client.workflow
    .getHandle(broken)
    .result()
    .catch(() => undefined);

  const text = await waitFor('the metrics to show all three incidents', async () => {
    const t = await scrape();
    return t.includes('outcome="failed"') && t.includes('reason="ApproverNotEligible"') ? t : undefined;
  });
  expect(text).toContain('tourniquet_incidents_total{playbook="demo",mode="live",outcome="resolved"} 1');
  expect(text).toContain('tourniquet_incidents_total{playbook="demo",mode="drill",outcome="denied"} 1');
  expect(text).toContain('tourniquet_incidents_total{playbook="demo",mode="live",outcome="failed"} 1');
  expect(text).toContain('tourniquet_incidents_started_total{playbook="demo",mode="live"} 2');
  expect(text).toContain('tourniquet_approval_refusals_total{reason="SelfApproval"} 1');
  expect(text).toContain('tourniquet_approval_refusals_total{reason="ApproverNotEligible"} 1');
  expect(text).toMatch(/tourniquet_time_to_contain_seconds_count\{playbook="demo",mode="live"\} 1/);
  expect(text).toMatch(/tourniquet_time_to_approve_seconds_count\{playbook="demo",mode="drill"\} 1/);
  expect(text).toContain(`tourniquet_activity_failures_total{system="approvals",type="${FAILURE_TYPES.UnknownPolicy}"}`);
});

it('counts a notification delivered twice (a retried notify) once, and each run of an incident id', async () => {
  const m = new IncidentMetrics();
  const { MetricsNotifier } = await import('../activities/metrics/incident-metrics');
  const notifier = new MetricsNotifier(m);
  const event = {
    seq: 7,
    kind: 'incident.finished' as const,
    summary: '',
    refs: {},
    durations: {},
    incident: { id: 'inc-x', title: 't', playbook: 'demo', mode: 'live' as const, requester: 'alice', state: 'resolved' as const },
  };
  await notifier.notify(event, { runId: 'run-1' });
  await notifier.notify(event, { runId: 'run-1' });
  expect(await m.registry.getSingleMetricAsString('tourniquet_incidents_total')).toContain('outcome="resolved"} 1');
  await notifier.notify(event, { runId: 'run-2' });
  expect(await m.registry.getSingleMetricAsString('tourniquet_incidents_total')).toContain('outcome="resolved"} 2');
});

it('counts every run started under one incident id', async () => {
  const started = async () =>
    (await metrics.started.get()).values.find((v) => v.labels.playbook === 'demo' && v.labels.mode === 'drill')?.value ?? 0;
  const before = await started();
  const incidentId = `metrics-runs-${process.pid}-${Date.now()}`;
  for (let run = 1; run <= 3; run++) {
    await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', mode: 'drill', params: { service: `m-runs-${process.pid}` } },
      { taskQueue: h.taskQueue, incidentId },
    );
    await waitForGate(h.client, incidentId);
    await decide(h.client, { incidentId, decision: 'deny', approver: 'bob', via: 'cli', reason: `run ${run} over` });
    await h.client.workflow.getHandle(incidentId).result();
  }
  // each run counted once: neither folded into the first (same incident id) nor counted twice
  await waitFor('three runs counted', async () => (await started()) - before === 3);
});

it('exposes alert intake counts by source and outcome', async () => {
  const { Registry } = await import('prom-client');
  const { createIntakeRouter } = await import('../gateway/intake/router');
  const { intakeConfig, post, TOKENS } = await import('./support/intake');
  const { DEMO_ROUTES } = await import('./support/routes');
  const registry = new Registry();
  // the counters are the gateway's: the demo route table keeps them apart from what the shipped routes start
  const intake = createIntakeRouter({ client: h.client, taskQueue: h.taskQueue, config: intakeConfig(), routes: DEMO_ROUTES });
  const gw = await startGateway({ client: h.client, intake, metrics: registry, host: '127.0.0.1', port: 0 });
  try {
    const alert = { source: 'demo', title: 'metrics check', fields: { service: `metrics-${process.pid}` } };
    const first = await post(`${gw.url}/alerts`, alert, { authorization: `Bearer ${TOKENS.generic}` });
    await post(`${gw.url}/alerts`, alert, { authorization: `Bearer ${TOKENS.generic}` });
    await post(`${gw.url}/alerts`, { source: 'nobody-routes-this', title: 'x' }, { authorization: `Bearer ${TOKENS.generic}` });
    await post(`${gw.url}/alerts`, alert, { authorization: 'Bearer wrong' });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toContain('tourniquet_alerts_received_total{source="generic"} 3');
    expect(text).toContain('tourniquet_alerts_total{source="generic",outcome="new"} 1');
    expect(text).toContain('tourniquet_alerts_total{source="generic",outcome="joined"} 1');
    expect(text).toContain('tourniquet_alerts_total{source="generic",outcome="no-route"} 1');
    expect(text).toContain('tourniquet_alerts_total{source="generic",outcome="unauthorized"} 1');
    // scraping again does not count twice
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toContain('tourniquet_alerts_total{source="generic",outcome="new"} 1');
    await waitForGate(h.client, first.body.incidentId);
    await decide(h.client, { incidentId: first.body.incidentId, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
  } finally {
    await gw.close();
  }
});
