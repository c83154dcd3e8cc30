/**
 * Lifecycle rules per route, through the real gateway, a real worker and the strict fake Slack:
 * after an incident closed, a still-firing alert opens a new run only when its route's `reopen`
 * rules allow it (quiet period, hourly cap, a FAILED run's cause unchanged), on any gateway replica;
 * and a resolution is shown on an open request (`note`) or withdraws it (`withdraw`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../cli/format';
import { decide, getStatus, getTimeline } from '../client';
import type { RouteRule } from '../gateway/intake/routing';
import type { IncidentStatus } from '../workflows';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { bearer, cancelAll, post, startIntakeGateway, TOKENS, type Answer, type IntakeGateway } from './support/intake';
import { waitFor } from './support/wait';

const SLACK_TOKEN = 'xoxb-0000-lifecycle-token';
const INCIDENTS = 'C0INCIDENTS';
const APPROVALS = 'C0APPROVALS';
const POLICIES = {
  people: { alice: { slack: 'U0ALICE' }, bob: { slack: 'U0BOB' }, carol: { slack: 'U0CAROL' } },
  groups: { oncall: ['alice', 'bob', 'carol'] },
  policies: {
    standard: { approvers: ['@oncall'], quorum: 1, timeout: '10m', channel: APPROVALS },
    'two-person': { approvers: ['@oncall'], quorum: 2, timeout: '10m', channel: APPROVALS },
  },
};

const ROUTES: RouteRule[] = [
  {
    name: 'lc-quiet',
    source: 'generic',
    match: { source: 'lc-quiet' },
    playbook: 'demo',
    params: { service: '{{ service }}' },
    dedupKey: ['service'],
    // long enough that closing the run and re-sending fit inside it on a loaded machine
    reopen: { quietPeriod: '10s', maxPerHour: 2 },
  },
  {
    // isolate-pod on a worker without Kubernetes: every run fails at its first step (a misconfiguration)
    name: 'lc-failing',
    source: 'generic',
    match: { source: 'lc-failing' },
    playbook: 'isolate-pod',
    params: { namespace: '{{ namespace }}', pod: '{{ pod }}' },
    dedupKey: ['namespace'],
    reopen: { quietPeriod: '1s', maxPerHour: 10 },
  },
  {
    name: 'lc-note',
    source: 'generic',
    match: { source: 'lc-note' },
    playbook: 'demo',
    params: { service: '{{ service }}' },
    dedupKey: ['service'],
  },
  {
    name: 'lc-withdraw',
    source: 'generic',
    match: { source: 'lc-withdraw' },
    playbook: 'demo',
    params: { service: '{{ service }}' },
    dedupKey: ['service'],
    onResolved: 'withdraw',
  },
];

let fake: FakeSlack;
let h: Harness;
let gw: IntakeGateway;
const started = new Set<string>();
const run = `${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  fake = await startFakeSlack({ token: SLACK_TOKEN });
  h = await startHarness({ policies: POLICIES, slack: { botToken: SLACK_TOKEN, channel: INCIDENTS, apiUrl: fake.url } });
  gw = await startIntakeGateway(h.client, h.taskQueue, { routes: ROUTES });
});
afterAll(async () => {
  await gw?.close();
  if (h) await cancelAll(h.client, started);
  await h?.stop();
  await fake?.stop();
});

function alert(source: string, fields: Record<string, string>, extra: Record<string, unknown> = {}) {
  return { source, title: `${source} alert`, fields, ...extra };
}
const send = (body: unknown, gateway: IntakeGateway = gw) => post(`${gateway.url}/alerts`, body, bearer(TOKENS.generic));

async function finished(id: string): Promise<IncidentStatus> {
  return waitFor(`incident ${id} to close`, async () => {
    const d = await h.client.workflow.getHandle(id).describe();
    return d.status.name !== 'RUNNING' ? getStatus(h.client, id) : undefined;
  });
}

/** No coalescing window left open: the next alert to a closed incident is answered by the reopen rules, not joined to a window. */
const windowsClosed = () => waitFor('the coalescing windows to close', () => gw.stats().coalescer.tracked === 0);

/** Re-sends the alert until an answer is not a quiet-period suppression; returns every answer. */
async function resendThroughQuietPeriod(body: unknown): Promise<Answer[]> {
  const answers: Answer[] = [];
  await waitFor(
    'the quiet period to end',
    async () => {
      const a = await send(body);
      answers.push(a);
      return a.body.reason !== 'quiet-period';
    },
    { intervalMs: 200, timeoutMs: 60_000 },
  );
  return answers;
}

async function runsOf(id: string): Promise<number> {
  let n = 0;
  for await (const _ of h.client.workflow.list({ query: `WorkflowId = '${id}'` })) n++;
  return n;
}

describe('reopen', () => {
  it('a quiet period and an hourly cap hold back the re-sends of a still-firing alert, on any gateway replica', async () => {
    const body = alert('lc-quiet', { service: `quiet-${run}` });
    const first = await send(body);
    expect(first).toMatchObject({ status: 202, body: { status: 'new', route: 'lc-quiet' } });
    const id: string = first.body.incidentId;
    started.add(id);
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'not now' });
    const closed = await finished(id);
    expect(closed.state).toBe('denied');
    await windowsClosed();

    // re-sent at once: held back, 202 with the reason and when a new run may open; nothing started
    const held = await send(body);
    expect(held.status).toBe(202);
    expect(held.body).toMatchObject({ status: 'suppressed', incidentId: id, route: 'lc-quiet', reason: 'quiet-period' });
    expect(held.body.message).toMatch(/closed .* ago \(denied\): route lc-quiet opens no new run within 10 s of a close/);
    const closeTime = (await h.client.workflow.getHandle(id).describe()).closeTime!.getTime();
    expect(Date.parse(held.body.until)).toBe(closeTime + 10_000);
    // another replica (nothing in memory) says the same: the state is Temporal's
    const replica = await startIntakeGateway(h.client, h.taskQueue, { routes: ROUTES });
    try {
      expect((await send(body, replica)).body).toMatchObject({ status: 'suppressed', reason: 'quiet-period', until: held.body.until });
    } finally {
      await replica.close();
    }
    expect(await runsOf(id)).toBe(1);

    // once the quiet period is over, the still-firing alert opens run 2 (never before `until`)
    const answers = await resendThroughQuietPeriod(body);
    const opened = answers.at(-1)!;
    expect(opened.body).toMatchObject({ status: 'new', incidentId: id });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(held.body.until));
    expect(answers.slice(0, -1).every((a) => a.status === 202 && a.body.status === 'suppressed')).toBe(true);
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'still not' });
    await finished(id);
    await windowsClosed();

    // two runs in the hour is this route's cap: after the next quiet period the alert is still held back
    const capped = (await resendThroughQuietPeriod(body)).at(-1)!;
    expect(capped.status).toBe(202);
    expect(capped.body).toMatchObject({ status: 'suppressed', reason: 'hourly-cap' });
    expect(capped.body.message).toMatch(/2 runs started in the last hour, route lc-quiet allows 2 \(reopen.maxPerHour\)/);
    expect(await runsOf(id)).toBe(2);
    expect(gw.stats().sources.generic!.suppressed).toBeGreaterThanOrEqual(2);
  });

  it('no new run while a FAILED run’s cause is unchanged; an alert asking for something else opens one', async () => {
    const ns = `lc-${run}`;
    const body = alert('lc-failing', { namespace: ns, pod: 'checkout-7d9f8b6c4-x2x9k' });
    const first = await send(body);
    expect(first.body).toMatchObject({ status: 'new', route: 'lc-failing' });
    const id: string = first.body.incidentId;
    started.add(id);
    const failed = await finished(id);
    expect(failed.state).toBe('failed');
    await windowsClosed();

    const held = (await resendThroughQuietPeriod(body)).at(-1)!;
    expect(held.status).toBe(202);
    expect(held.body).toMatchObject({ status: 'suppressed', reason: 'failed-cause-unchanged' });
    expect(held.body.message).toContain('Kubernetes is not configured');
    expect(held.body.message).toContain(`tourniquet start --id ${id}`);
    // the default lets an alert try again after 4 h: the worker may have been fixed meanwhile
    const closeTime = (await h.client.workflow.getHandle(id).describe()).closeTime!.getTime();
    expect(Date.parse(held.body.until)).toBe(closeTime + 4 * 3_600_000);
    expect(await runsOf(id)).toBe(1);

    // the same incident (namespace) asked about another pod: another request, another run
    const other = await send(alert('lc-failing', { namespace: ns, pod: 'checkout-7d9f8b6c4-abcde' }));
    expect(other.body).toMatchObject({ status: 'new', incidentId: id });
    await finished(id);
    expect(await runsOf(id)).toBe(2);
  });
});

/** The approval request's current blocks in Slack, as the fake holds them. */
async function slackRequest(id: string): Promise<() => string> {
  const posted = await waitFor('the approval request in Slack', () =>
    fake.callsOf('chat.postMessage').find((c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(id)),
  );
  return () => JSON.stringify(fake.message(APPROVALS, posted.response!.ts)!.blocks);
}

describe('onResolved', () => {
  it('note (the default): the open request stays open and shows the resolution and the alert counts, in status and in Slack', async () => {
    const service = `note-${run}`;
    const first = await send(alert('lc-note', { service }, { fingerprint: 'n1' }));
    const id: string = first.body.incidentId;
    started.add(id);
    await send(alert('lc-note', { service }, { fingerprint: 'n2' }));
    await send(alert('lc-note', { service }, { fingerprint: 'n2' }));
    await waitFor('three deliveries counted', async () => (await getStatus(h.client, id)).alerts.total === 3);
    await waitForGate(h.client, id);
    const request = await slackRequest(id);

    expect((await send(alert('lc-note', { service }, { fingerprint: 'n1', status: 'resolved' }))).body.status).toBe('resolved');
    const one = await waitFor('n1 resolved', async () => {
      const s = await getStatus(h.client, id);
      return s.alerts.resolved === 1 ? s : undefined;
    });
    expect(one.resolution).toBeUndefined(); // n2 still fires

    const resolvedAt = '2026-12-01T10:00:00Z';
    await send(alert('lc-note', { service }, { fingerprint: 'n2', status: 'resolved', time: resolvedAt }));
    const all = await waitFor('every alert resolved', async () => {
      const s = await getStatus(h.client, id);
      return s.resolution?.all_resolved_at ? s : undefined;
    });
    expect(all.state).toBe('awaiting-approval');
    expect(all.gates[0]!.status).toBe('open');
    expect(all.resolution).toEqual({ on_resolved: 'note', all_resolved_at: '2026-12-01T10:00:00.000Z' });
    const printed = formatStatus(all, Date.parse(resolvedAt) + 120_000);
    expect(printed).toContain('alerts 2 distinct (0 firing, 2 resolved), 3 deliveries');
    expect(printed).toContain(
      'alert resolved 2 min ago (2026-12-01T10:00:00.000Z): every alert resolved; this request stays open (route onResolved: note)',
    );

    // Slack's request is updated in place: counts, and "alert resolved <n> ago" rendered by Slack itself
    const ts = Math.floor(Date.parse(resolvedAt) / 1000);
    const shown = await waitFor('the resolution in the Slack request', () =>
      request().includes('Alert resolved') ? request() : undefined,
    );
    expect(shown).toContain('*Alerts* 2 distinct (0 firing, 2 resolved) · 3 deliveries');
    expect(shown).toContain(
      `:large_green_circle: *Alert resolved* <!date^${ts}^{ago}|2026-12-01T10:00:00.000Z> — this request stays open: decide as you judge`,
    );
    expect(shown).toContain('gate_approve'); // still asking
    await waitFor('the thread line', () =>
      fake
        .callsOf('chat.postMessage')
        .some(
          (c) =>
            c.args.channel === INCIDENTS &&
            String(c.args.text).includes('every alert resolved (2 distinct); the approval request stays open'),
        ),
    );

    // firing again: the note goes
    await send(alert('lc-note', { service }, { fingerprint: 'n1' }));
    const again = await waitFor('firing again', async () => {
      const s = await getStatus(h.client, id);
      return s.alerts.firing === 1 ? s : undefined;
    });
    expect(again.resolution).toEqual({ on_resolved: 'note' });
    await waitFor('the note gone from Slack', () => !request().includes('Alert resolved'));
  });

  it('withdraw: once every alert is resolved the open request is closed as alert resolved, and nothing further runs', async () => {
    const service = `withdraw-${run}`;
    const first = await send(alert('lc-withdraw', { service }, { fingerprint: 'w1' }));
    const id: string = first.body.incidentId;
    started.add(id);
    await waitForGate(h.client, id);
    const request = await slackRequest(id);
    expect(request()).toContain('*Alerts* 1 distinct (1 firing, 0 resolved) · 1 deliveries');

    expect((await send(alert('lc-withdraw', { service }, { fingerprint: 'w1', status: 'resolved' }))).body.status).toBe('resolved');
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.outcome).toMatch(
      /^alert resolved: every alert was resolved, so open approval requests were withdrawn .* and nothing further ran; nothing done was undone$/,
    );
    expect(final.gates[0]).toMatchObject({
      status: 'withdrawn',
      closed_reason: 'alert resolved: all 1 distinct alert(s) resolved; request withdrawn',
    });
    expect(final.resolution).toMatchObject({
      on_resolved: 'withdraw',
      all_resolved_at: expect.any(String),
      withdrawn_at: expect.any(String),
    });
    const timeline = await getTimeline(h.client, id);
    expect(timeline.some((e) => e.kind === 'action.started' || e.kind.startsWith('compensation'))).toBe(false);
    expect(timeline.find((e) => e.kind === 'approval.closed')).toMatchObject({ details: { status: 'withdrawn' } });
    expect(timeline.find((e) => e.summary.startsWith('every alert resolved'))).toMatchObject({
      kind: 'incident.update',
      details: { on_resolved: 'withdraw', gates: ['g1'] },
    });
    expect((await h.world.read(service)).quarantined).toBe(false);

    const shown = await waitFor('the withdrawal in Slack', () => (request().includes('Withdrawn') ? request() : undefined));
    expect(shown).toContain('*Withdrawn — alert resolved*');
    expect(shown).not.toContain('gate_approve');
  });
});
