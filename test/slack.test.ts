/**
 * Approvals in Slack, end to end: the real Bolt app behind the gateway receives signed requests
 * shaped like Slack's; the worker's Slack notifier talks to a strict fake of Slack's Web API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { GateView } from '../workflows';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { startHarness, type Harness } from './support/harness';
import { startSlackGateway, type SlackGateway } from './support/slack-gateway';
import { blockActionBody, sign, slashCommandBody, viewSubmissionBody } from './support/slack-requests';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';

const TOKEN = 'xoxb-0000-test-token';
const SECRET = 'test-signing-secret-8f2c';
const INCIDENTS = 'C0INCIDENTS';
const APPROVALS = 'C0APPROVALS';
const POLICIES = {
  people: { alice: { slack: 'U0ALICE' }, bob: { slack: 'U0BOB' }, carol: { slack: 'U0CAROL' }, dana: { slack: 'U0DANA' } },
  groups: { oncall: ['alice', 'bob', 'carol'] },
  policies: {
    standard: { approvers: ['@oncall'], quorum: 1, timeout: '10m', channel: APPROVALS },
    'two-person': { approvers: ['@oncall', 'dana'], quorum: 2, timeout: '10m', channel: APPROVALS },
    'slack-group': { approvers: ['slack-group:S0ONCALL'], quorum: 1, timeout: '10m', channel: APPROVALS },
  },
};

let fake: FakeSlack;
let h: Harness;
let gateway: SlackGateway;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN, groups: { S0ONCALL: ['U0BOB', 'U0ZED'] } });
  h = await startHarness({ policies: POLICIES, slack: { botToken: TOKEN, channel: INCIDENTS, apiUrl: fake.url } });
  gateway = await startSlackGateway(h, fake, { policies: POLICIES, token: TOKEN, secret: SECRET });
});
afterAll(async () => {
  await gateway?.close();
  await h?.stop();
  await fake?.stop();
});

let seq = 0;
async function openIncident(opts: { policy?: string; mode?: 'live' | 'drill' } = {}) {
  const id = await startIncident(
    h.client,
    {
      playbook: 'demo',
      requester: 'alice',
      params: { service: `slack-${process.pid}-${++seq}` },
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.mode ? { mode: opts.mode } : {}),
    },
    { taskQueue: h.taskQueue },
  );
  const post = await waitFor('the approval request in Slack', () =>
    fake.callsOf('chat.postMessage').find((c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(id)),
  );
  const buttons = post.args.blocks.find((b: any) => b.type === 'actions');
  return {
    id,
    ts: post.response!.ts as string,
    value: buttons.elements[0].value as string,
    gate: JSON.parse(buttons.elements[0].value) as { gateId: string },
  };
}

const post = (body: string, headers: Record<string, string>) => gateway.post(body, headers);

async function click(
  user: string,
  actionId: 'gate_approve' | 'gate_deny',
  incident: { value: string; ts: string; gate: { gateId: string } },
) {
  const body = blockActionBody({
    user,
    actionId,
    value: incident.value,
    channel: APPROVALS,
    messageTs: incident.ts,
    gateId: incident.gate.gateId,
  });
  return post(body, sign(SECRET, body));
}

async function gate(id: string): Promise<GateView> {
  return (await getStatus(h.client, id)).gates[0]!;
}

const text = (blocks: any[] | undefined) => JSON.stringify(blocks ?? []);
const threadReplies = (id: string) =>
  fake
    .callsOf('chat.postMessage')
    .filter(
      (c) =>
        c.args.thread_ts &&
        c.args.channel === INCIDENTS &&
        fake.callsOf('chat.postMessage').some((r) => r.response?.ts === c.args.thread_ts && String(r.args.text).includes(id)),
    );

describe('an approval request in Slack', () => {
  it('carries what an approver needs — and never a secret', async () => {
    const { id, ts } = await openIncident();
    const message = fake.message(APPROVALS, ts)!;
    const all = text(message.blocks);
    expect(message.blocks![0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringMatching(/^Approval needed: Quarantine service slack-/) },
    });
    for (const needle of [
      id,
      'demo',
      '`demoQuarantine` on `service/slack-',
      '*Risk*\\nmedium',
      '<@U0ALICE> (cannot approve)',
      '<@U0BOB>',
      '<@U0CAROL>',
      '*Deadline*',
      '*Votes needed*\\n1 of 1',
      '*Deny* changes nothing',
    ]) {
      expect(all).toContain(needle);
    }
    expect(all).toMatch(/Evidence: service snapshot \(before\) `[0-9a-f]{12}` · approvers: Quarantine service [^`]+`[0-9a-f]{12}`/);
    expect(JSON.stringify(fake.calls)).not.toMatch(/ghp_[A-Za-z0-9]{30,}/);
    const root = fake
      .callsOf('chat.postMessage')
      .find((c) => c.args.channel === INCIDENTS && !c.args.thread_ts && String(c.args.text).includes(id));
    expect(root?.args.text).toContain('opened by <@U0ALICE>');
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
  });

  it('is marked DRILL in drill mode', async () => {
    const { id, ts } = await openIncident({ mode: 'drill' });
    expect(fake.message(APPROVALS, ts)!.blocks![0].text.text).toMatch(/^\[DRILL\] Approval needed/);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'drill over' });
  });
});

describe('clicks', () => {
  it('an eligible approver approves with one click; the message is updated in place with who decided', async () => {
    const incident = await openIncident();
    const res = await click('U0BOB', 'gate_approve', incident);
    expect(res.status).toBe(200);
    await waitFor('the incident to resolve', async () => (await getStatus(h.client, incident.id)).state === 'resolved');
    const updated = await waitFor('the message updated', () => {
      const m = fake.message(APPROVALS, incident.ts)!;
      return text(m.blocks).includes('*Approved* by <@U0BOB>') ? m : undefined;
    });
    expect(updated.blocks!.some((b) => b.type === 'actions')).toBe(false);
    // the update replaces the whole message: it keeps the evidence shown, and promises nothing about the deadline
    expect(text(updated.blocks)).toMatch(/Evidence: service snapshot \(before\) `[0-9a-f]{12}`/);
    expect(text(updated.blocks)).not.toMatch(/none yet|denied if undecided/);
    const vote = (await getTimeline(h.client, incident.id)).find((e) => e.kind === 'approval.vote');
    expect(vote).toMatchObject({ actor: 'bob', details: { via: 'slack:U0BOB', decision: 'approve' } });
    const lines = await waitFor('the thread to follow the incident', () => {
      const replies = threadReplies(incident.id).map((c) => String(c.args.text));
      return replies.some((r) => r.includes('Incident resolved')) ? replies : undefined;
    });
    expect(lines.join('\n')).toMatch(/Awaiting approval[\s\S]*Approved[\s\S]*Acting[\s\S]*Contained[\s\S]*Incident resolved/);
  });

  it("refuses the requester's own click with an ephemeral message, and changes nothing", async () => {
    const incident = await openIncident();
    expect((await click('U0ALICE', 'gate_approve', incident)).status).toBe(200);
    const ephemeral = await waitFor('the ephemeral refusal', () =>
      fake
        .callsOf('chat.postEphemeral')
        .find((c) => c.args.user === 'U0ALICE' && String(c.args.text).includes('cannot approve their own request')),
    );
    expect(ephemeral.args).toMatchObject({ channel: APPROVALS, user: 'U0ALICE' });
    expect((await click('U0MALLORY', 'gate_approve', incident)).status).toBe(200);
    await waitFor('the ineligible refusal', () =>
      fake
        .callsOf('chat.postEphemeral')
        .find((c) => c.args.user === 'U0MALLORY' && String(c.args.text).includes('slack:U0MALLORY is not an eligible approver')),
    );
    expect(await gate(incident.id)).toMatchObject({ status: 'open', votes: [] });
    const refusals = await waitFor('both refusals on the timeline', async () => {
      const r = (await getTimeline(h.client, incident.id)).filter((e) => e.kind === 'approval.refused');
      return r.length === 2 ? r : undefined;
    });
    expect(refusals.map((r) => [r.actor, r.details?.code, r.details?.via])).toEqual([
      ['alice', 'SelfApproval', 'slack:U0ALICE'],
      ['slack:U0MALLORY', 'ApproverNotEligible', 'slack:U0MALLORY'],
    ]);
    await decide(h.client, { incidentId: incident.id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
  });

  it('answers forged, stale and replayed requests with 401, and reaches no workflow', async () => {
    const incident = await openIncident();
    const body = blockActionBody({
      user: 'U0BOB',
      actionId: 'gate_approve',
      value: incident.value,
      channel: APPROVALS,
      messageTs: incident.ts,
      gateId: 'g1',
    });
    expect((await post(body, sign('not-the-secret', body))).status).toBe(401);
    expect((await post(body, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(401);
    expect((await post(body, sign(SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60))).status).toBe(401);
    const headers = sign(SECRET, body);
    const tampered = body.replace('U0BOB', 'U0CAROL');
    expect((await post(tampered, headers)).status).toBe(401);
    expect(await gate(incident.id)).toMatchObject({ status: 'open', votes: [] });
    expect((await post(body, headers)).status).toBe(200);
    expect((await post(body, headers)).status).toBe(401);
    await waitFor('the one genuine click to approve', async () => (await gate(incident.id)).status === 'approved');
    expect((await gate(incident.id)).votes).toHaveLength(1);
  });

  it('two distinct approvers satisfy a quorum of two; the message shows the votes still needed', async () => {
    const incident = await openIncident({ policy: 'two-person' });
    await click('U0BOB', 'gate_approve', incident);
    await waitFor('the message to show one more approval needed', () => {
      const m = fake.message(APPROVALS, incident.ts)!;
      return (
        text(m.blocks).includes('1 more approval(s) needed. Approved so far by <@U0BOB>') && m.blocks!.some((b) => b.type === 'actions')
      );
    });
    await click('U0DANA', 'gate_approve', incident);
    await waitFor('the gate to be approved', async () => (await gate(incident.id)).status === 'approved');
    expect((await gate(incident.id)).votes.map((v) => v.approver)).toEqual(['bob', 'dana']);
  });

  it('deny asks for a reason in a modal, refuses an empty one, and records the one given', async () => {
    const incident = await openIncident();
    await click('U0CAROL', 'gate_deny', incident);
    const opened = await waitFor('the modal', () => fake.callsOf('views.open').at(-1));
    expect(opened.args.view).toMatchObject({ type: 'modal', callback_id: 'gate_decision', submit: { text: 'Deny' } });
    expect(opened.args.view.blocks.find((b: any) => b.block_id === 'reason').optional).toBe(false);
    const meta = opened.args.view.private_metadata;

    const empty = viewSubmissionBody({ user: 'U0CAROL', privateMetadata: meta, reason: '  ' });
    const refused = await post(empty, sign(SECRET, empty));
    expect(JSON.parse(refused.body)).toEqual({ response_action: 'errors', errors: { reason: 'A reason is required to deny.' } });
    expect((await gate(incident.id)).status).toBe('open');

    const full = viewSubmissionBody({ user: 'U0CAROL', privateMetadata: meta, reason: 'benign: scheduled job' });
    expect((await post(full, sign(SECRET, full))).status).toBe(200);
    await waitFor('the incident to be denied', async () => (await getStatus(h.client, incident.id)).state === 'denied');
    await waitFor(
      'the message to say who denied and why',
      () =>
        text(fake.message(APPROVALS, incident.ts)!.blocks).includes('*Denied* by <@U0CAROL>') &&
        text(fake.message(APPROVALS, incident.ts)!.blocks).includes('benign: scheduled job'),
    );
  });
});

describe('Slack failures', () => {
  it('waits out a 429 for exactly its Retry-After, then posts', async () => {
    // 3 s: longer than the notify retry policy's 1 s first interval, so only honouring Retry-After passes.
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
    const incident = await openIncident();
    const limited = fake.calls.find((c) => c.method === 'chat.postMessage' && !c.ok)!;
    const retried = await waitFor('the same message, retried', () =>
      fake.calls.find(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.ok &&
          c.at > limited.at &&
          c.args.text === limited.args.text &&
          c.args.channel === limited.args.channel,
      ),
    );
    expect(retried.at - limited.at).toBeGreaterThanOrEqual(3000);
    await decide(h.client, { incidentId: incident.id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
  });

  it('while Slack is down the CLI still decides, and the message is brought up to date when Slack answers', async () => {
    fake.setDown(true);
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: `slack-down-${process.pid}` } },
      { taskQueue: h.taskQueue },
    );
    await waitForGate(h.client, id);
    const outcome = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'cli' });
    expect(outcome).toMatchObject({ applied: true });
    await waitFor('the incident to resolve without Slack', async () => (await getStatus(h.client, id)).state === 'resolved');
    fake.setDown(false);
    const request = await waitFor(
      'the late approval request',
      () => fake.callsOf('chat.postMessage').find((c) => c.args.channel === APPROVALS && text(c.args.blocks).includes(id)),
      { timeoutMs: 45_000 },
    );
    await waitFor(
      'the message reconciled',
      () => text(fake.message(APPROVALS, request.response!.ts)!.blocks).includes('*Approved* by <@U0BOB>'),
      { timeoutMs: 45_000 },
    );
    await h.client.workflow.getHandle(id).result();
  });
});

describe('eligible approvers from a Slack user group', () => {
  it('are resolved when the gate opens, enforced, and kept as evidence', async () => {
    const incident = await openIncident({ policy: 'slack-group' });
    const g = await gate(incident.id);
    expect(g.eligible).toEqual(['bob', 'slack:U0ZED']);
    const status = await getStatus(h.client, incident.id);
    const record = JSON.parse((await h.deps.store.get(status.evidence.find((e) => e.name.startsWith('approvers:'))!.uri)).toString());
    expect(record.groups).toEqual([{ ref: 'slack-group:S0ONCALL', members: ['bob', 'slack:U0ZED'] }]);
    await click('U0CAROL', 'gate_approve', incident);
    await waitFor('carol refused', () =>
      fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'U0CAROL' && String(c.args.text).includes('not an eligible approver')),
    );
    await click('U0ZED', 'gate_approve', incident);
    await waitFor('approved by the group member', async () => (await gate(incident.id)).status === 'approved');
  });
});

describe('/breakglass', () => {
  it('validates its input and answers only the person who asked', async () => {
    const bad = slashCommandBody({ user: 'U0ALICE', command: '/breakglass', text: 'db-admin forever', channel: INCIDENTS });
    const res = await post(bad, sign(SECRET, bad));
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body);
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('duration: a duration between 1m and 8h');
    expect(answer.text).toContain('Usage: `/breakglass <role> [<namespace>|cluster] <duration> <reason>`');

    // Valid input starts a break-glass incident requested by the person behind the Slack user.
    const good = slashCommandBody({
      user: 'U0ALICE',
      command: '/breakglass',
      text: 'db-admin 30m restore orders after a bad migration',
      channel: INCIDENTS,
    });
    const started = JSON.parse((await post(good, sign(SECRET, good))).body);
    expect(started).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(
        /^Break-glass requested: incident `inc-break-glass-[a-z0-9]+`\. Two approvers other than you must approve\.$/,
      ),
    });
    const id = /`([^`]+)`/.exec(started.text)![1]!;
    // This suite's worker has no catalogue: the incident ends saying what to configure.
    const ended = await waitFor('the request to end', async () => {
      const s = await getStatus(h.client, id);
      return s.state === 'failed' && s;
    });
    expect(ended).toMatchObject({
      playbook: 'break-glass',
      requester: 'alice',
      outcome: expect.stringContaining('break-glass is not configured on this worker'),
    });

    const revoke = slashCommandBody({ user: 'U0BOB', command: '/breakglass', text: `revoke ${id} done`, channel: INCIDENTS });
    const answer2 = JSON.parse((await post(revoke, sign(SECRET, revoke))).body);
    expect(answer2).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^:no_entry_sign: Not applied — /) });
  });
});
