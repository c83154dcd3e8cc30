/**
 * Replayed GitHub deliveries, through real gateways on the shared dev server: a signed delivery
 * takes effect once, whichever gateway receives it, however often, whatever its X-GitHub-Delivery
 * says, and after its incident has closed; one older than the window is refused. Effects are read
 * from Temporal (runs, alert counts, timelines), not only from the answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { decide, getStatus, getTimeline } from '../client';
import { incidentIdFor } from '../gateway/intake/processor';
import { DeliveryReceipts } from '../gateway/intake/receipts';
import { startHarness, type Harness } from './support/harness';
import { cancelAll, githubLeak, intakeConfig, postGitHub, signGitHub, startIntakeGateway, type IntakeGateway } from './support/intake';
import { DEMO_ROUTES } from './support/routes';
import { waitForGate } from './support/gates';

let h: Harness;
let a: IntakeGateway;
let b: IntakeGateway;
const started = new Set<string>();
const run = `${process.pid}${Date.now().toString(36)}`;
let n = 0;

beforeAll(async () => {
  h = await startHarness();
  // two replicas behind one load balancer
  const replica = () => startIntakeGateway(h.client, h.taskQueue, { routes: DEMO_ROUTES });
  [a, b] = await Promise.all([replica(), replica()]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  if (h) await cancelAll(h.client, started);
  await h?.stop();
});

/** A `created` delivery for an alert of its own; `ageMs` dates the alert. */
function leak(ageMs?: number) {
  const payload = githubLeak(ageMs);
  payload.repository.name = `replay-${run}-${++n}`;
  payload.repository.full_name = `octo-org/${payload.repository.name}`;
  const incidentId = incidentIdFor('test-github-leak', [payload.repository.full_name, '42']);
  started.add(incidentId);
  return { payload, incidentId };
}

const timelineKinds = async (id: string) =>
  (await getTimeline(h.client, id)).map((e) => e.kind).filter((k) => k.startsWith('alert.') || k === 'incident.started');

describe('a repeated GitHub delivery', () => {
  it('takes effect once: the same bytes again, under a new X-GitHub-Delivery, through another replica, or all at once', async () => {
    const { payload, incidentId } = leak();
    const delivery = await signGitHub('secret_scanning_alert', payload);
    expect((await postGitHub(a.url, delivery)).body).toMatchObject({ status: 'new', incidentId });

    const fresh = { ...delivery, headers: { ...delivery.headers, 'x-github-delivery': randomUUID() } };
    const replays = await Promise.all([a, b, a, b, a].map((gw, i) => postGitHub(gw.url, i === 4 ? fresh : delivery)));
    for (const r of replays) expect(r).toMatchObject({ status: 202, body: { status: 'duplicate' } });

    const status = await waitForGate(h.client, incidentId);
    expect(status.alerts.total).toBe(1);
    expect(await timelineKinds(incidentId)).toEqual(['alert.received', 'incident.started']);
    // none reached the coalescer as a repeat (it would have been counted "joined", then signalled)
    expect(a.stats().sources.github).toMatchObject({ new: 1, duplicate: 3, joined: 0 });
    expect(b.stats().sources.github).toMatchObject({ duplicate: 2, joined: 0 });
  });

  it('received by two replicas at the same moment, opens one incident and counts one alert', async () => {
    const { payload, incidentId } = leak();
    const delivery = await signGitHub('secret_scanning_alert', payload);
    const answers = await Promise.all([a, b, a, b, a, b].map((gw) => postGitHub(gw.url, delivery)));
    expect(answers.map((r) => r.body.status).sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'new']);
    expect((await waitForGate(h.client, incidentId)).alerts.total).toBe(1);
  });

  it('starts no new run once its incident has closed, even through a gateway started afterwards', async () => {
    const { payload, incidentId } = leak();
    const delivery = await signGitHub('secret_scanning_alert', payload);
    expect((await postGitHub(a.url, delivery)).body.status).toBe('new');
    await waitForGate(h.client, incidentId);
    await decide(h.client, { incidentId, decision: 'deny', approver: 'bob', reason: 'test closes it', via: 'test' });
    const handle = h.client.workflow.getHandle(incidentId);
    await handle.result();
    const closed = await handle.describe();

    const restarted = await startIntakeGateway(h.client, h.taskQueue, { routes: DEMO_ROUTES });
    try {
      expect((await postGitHub(restarted.url, delivery)).body.status).toBe('duplicate');
      expect((await postGitHub(a.url, delivery)).body.status).toBe('duplicate');
      const latest = await handle.describe();
      expect({ runId: latest.runId, status: latest.status.name }).toEqual({ runId: closed.runId, status: 'COMPLETED' });
      expect((await getStatus(h.client, incidentId)).state).toBe('denied');

      // What a new event about the alert is (GitHub reopens it: a new body) still opens a new run.
      const reopened = { ...payload, action: 'reopened', alert: { ...payload.alert, updated_at: new Date().toISOString() } };
      expect((await postGitHub(restarted.url, await signGitHub('secret_scanning_alert', reopened))).body.status).toBe('new');
      expect((await handle.describe()).runId).not.toBe(closed.runId);
    } finally {
      await restarted.close();
    }
  });
});

describe('an old delivery', () => {
  it('is refused with 401 once its alert is older than the window, and starts nothing', async () => {
    const hour = 3_600_000;
    const narrow = await startIntakeGateway(h.client, h.taskQueue, { routes: DEMO_ROUTES, config: intakeConfig({ githubMaxAgeMs: hour }) });
    try {
      const old = leak(2 * hour);
      const res = await postGitHub(narrow.url, await signGitHub('secret_scanning_alert', old.payload));
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(
        /^stale or replayed delivery: the alert's latest time .* is older than 1h \(TOURNIQUET_GITHUB_MAX_AGE/,
      );
      const recent = leak(hour / 2);
      expect((await postGitHub(narrow.url, await signGitHub('secret_scanning_alert', recent.payload))).body).toMatchObject({
        status: 'new',
        incidentId: recent.incidentId,
      });
      // the refused one was not even recorded as received: nothing under its id
      await expect(h.client.workflow.getHandle(old.incidentId).describe()).rejects.toThrow(/not found/i);
      expect(narrow.stats().sources.github).toMatchObject({ stale: 1, new: 1 });
    } finally {
      await narrow.close();
    }
  });

  it('is judged against the namespace retention when the window is longer, since receipts last only that long', async () => {
    // the dev server keeps closed workflows 24 h; the default window (7 days) is clamped to it
    const receipts = new DeliveryReceipts(h.client, h.taskQueue, 7 * 24 * 3_600_000, pino({ level: 'silent' }));
    expect(await receipts.maxAge()).toBe(24 * 3_600_000 - 5 * 60_000);
    const twoDays = leak(48 * 3_600_000);
    const res = await postGitHub(a.url, await signGitHub('secret_scanning_alert', twoDays.payload));
    expect(res.status).toBe(401);
    await expect(h.client.workflow.getHandle(twoDays.incidentId).describe()).rejects.toThrow(/not found/i);
  });
});

describe('delivery receipts', () => {
  it('a delivery that was not recorded frees its key for the retry; a recorded one keeps it', async () => {
    const receipts = new DeliveryReceipts(h.client, h.taskQueue, 3_600_000, pino({ level: 'silent' }));
    const { receiptId, bodySha256 } = DeliveryReceipts.keyOf('github', Buffer.from(`{"test":"${run}"}`));
    const receipt = { source: 'github' as const, event: 'secret_scanning_alert', bodySha256, eventTime: new Date().toISOString() };
    const first = await receipts.claim(receiptId, receipt);
    expect(first).toBeDefined();
    expect(await receipts.claim(receiptId, receipt)).toBeUndefined(); // still in flight
    await first!.release('Temporal did not take the alert');
    const retry = await receipts.claim(receiptId, receipt);
    expect(retry).toBeDefined();
    await retry!.recorded();
    await h.client.workflow.getHandle(receiptId).result();
    expect(await receipts.claim(receiptId, receipt)).toBeUndefined();
  });
});
