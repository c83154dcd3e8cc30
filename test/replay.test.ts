/**
 * Determinism guard. Histories recorded from earlier code (test/histories/*.json) must replay on
 * today's workflow code: a change that breaks one needs `patched()`, not a new recording. Fresh
 * histories of the same scenarios are replayed too; `npm run record-histories` saves them as the
 * new fixtures.
 */
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, getStatus, startIncident } from '../client';
import { alertsSignal, type IncidentRequestInput } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';

const FIXTURES = join(import.meta.dirname, 'histories');
const RECORD = process.env.RECORD_HISTORIES === '1';

function replay(history: unknown, workflowId: string): Promise<void> {
  return Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, workflowId);
}

/**
 * The workflow ids fixtures were recorded under: signed decisions cover the incident id, so a
 * history replays only under its own (older fixtures did not depend on it, and use their name).
 */
const IDS_FILE = join(FIXTURES, 'workflow-ids.txt');
const recordedIds = (): Record<string, string> =>
  Object.fromEntries((existsSync(IDS_FILE) ? readFileSync(IDS_FILE, 'utf8') : '').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));

describe('recorded histories replay on the current workflow code', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  it.skipIf(RECORD)('has fixtures to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });
  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
    const name = file.replace(/\.json$/, '');
    await replay(history, recordedIds()[name] ?? name);
  });
});

describe('fresh histories replay', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function run(name: string, request: Omit<IncidentRequestInput, 'requester'>, drive: (id: string) => Promise<void>) {
    const id = await startIncident(h.client, { requester: 'alice', ...request }, { taskQueue: h.taskQueue, incidentId: `${name}-${process.pid}-${Date.now()}` });
    await waitForGate(h.client, id);
    await drive(id);
    await h.client.workflow.getHandle(id).result().catch(() => undefined);
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    await replay(history, id);
    if (RECORD) {
      writeFileSync(join(FIXTURES, `${name}.json`), historyToJSON(history));
      const ids = { ...recordedIds(), [name]: id };
      writeFileSync(IDS_FILE, Object.entries(ids).map(([n, i]) => `${n} ${i}\n`).join(''));
    }
  }

  it('approved by a quorum of two after signed refusals, with repeat alerts', async () => {
    await run('signed-quorum-approved', { playbook: 'demo', policy: 'two-person', params: { service: 'replay-quorum' } }, async (id) => {
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'test', reason: 'self' });
      await h.client.workflow.getHandle(id).signal(alertsSignal, { count: 42, sample: [{ source: 'falco', title: 'again' }] });
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', reason: 'ok' });
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test', reason: 'ok' });
    });
  });

  it('denied', async () => {
    await run('denied', { playbook: 'demo', params: { service: 'replay-denied' } }, async (id) => {
      await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'false positive' });
    });
  });

  it('failed verification with compensation', async () => {
    await run('failed-compensated', { playbook: 'demo', params: { service: 'replay-failed', simulateVerifyFailure: true } }, async (id) => {
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      await waitFor('the compensation gate', async () => (await getStatus(h.client, id)).gates.some((g) => g.id === 'g2' && g.status === 'open'));
      await decide(h.client, { incidentId: id, gateId: 'g2', decision: 'approve', approver: 'carol', via: 'test' });
    });
  });

  // The lifecycle paths (alert-lifecycle.ts: patched notifications, a gate withdrawn from a signal handler)
  const alert = { source: 'alertmanager', title: 'ErrorBudgetBurn', key: 'k-replay-1' };
  it('every alert resolved: the request noted, then withdrawn on a route that withdraws', async () => {
    await run('alerts-noted', { playbook: 'demo', params: { service: 'replay-noted' }, alerts: [alert] }, async (id) => {
      const handle = h.client.workflow.getHandle(id);
      await handle.signal(alertsSignal, { count: 1, sample: [alert], keys: [alert.key], status: 'resolved', lastSeen: new Date().toISOString() });
      await handle.signal(alertsSignal, { count: 1, sample: [alert], keys: [alert.key] });
      await waitFor('firing again', async () => (await getStatus(h.client, id)).alerts.firing === 1);
      await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'recovered' });
    });
    await run('alerts-withdrawn', { playbook: 'demo', params: { service: 'replay-withdrawn' }, alerts: [alert], lifecycle: { onResolved: 'withdraw' } }, async (id) => {
      await h.client.workflow.getHandle(id).signal(alertsSignal, { count: 1, sample: [alert], keys: [alert.key], status: 'resolved' });
    });
  });

  it('drill', async () => {
    await run('drill', { playbook: 'demo', mode: 'drill', params: { service: 'replay-drill' } }, async (id) => {
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    });
  });
});
