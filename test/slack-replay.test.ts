/**
 * Replayed Slack requests, through the real Bolt app over HTTP, signed like Slack signs: a captured
 * `/breakglass` or button click takes effect once — whatever spelling of its headers, after the
 * gateway restarts, through another replica. Effects are read from Temporal (incidents, votes,
 * timelines), not only from the answers.
 */
import { verifySignatureAndParseBody } from '@slack/bolt/dist/receivers/ExpressReceiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { getStatus, getTimeline, startIncident } from '../client';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { startHarness, type Harness } from './support/harness';
import { startSlackGateway, type SlackGateway } from './support/slack-gateway';
import { blockActionBody, sign, slashCommandBody } from './support/slack-requests';
import { waitFor } from './support/wait';

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
  },
};

let fake: FakeSlack;
let h: Harness;
/** what the gateways log: each decision from Slack, with its nonce, once it has been taken */
const logged: { msg: string; nonce?: string; applied?: boolean; incident?: string }[] = [];
const logger = pino({ level: 'info' }, new Writable({ write: (line, _enc, done) => (logged.push(JSON.parse(String(line))), done()) }));
const gateway = () => startSlackGateway(h, fake, { policies: POLICIES, token: TOKEN, secret: SECRET, logger });
let a: SlackGateway;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN });
  h = await startHarness({ policies: POLICIES, slack: { botToken: TOKEN, channel: INCIDENTS, apiUrl: fake.url } });
  a = await gateway();
});
afterAll(async () => {
  await a?.close();
  await h?.stop();
  await fake?.stop();
});

/** Every spelling of the same signed headers that Bolt's verifier (Number(ts), split('=')) accepts. */
function spellings(headers: Record<string, string>): Record<string, Record<string, string>> {
  const ts = headers['x-slack-request-timestamp']!;
  const sig = headers['x-slack-signature']!;
  return {
    '<ts>.0': { ...headers, 'x-slack-request-timestamp': `${ts}.0` },
    '0<ts>': { ...headers, 'x-slack-request-timestamp': `0${ts}` },
    '+<ts>': { ...headers, 'x-slack-request-timestamp': `+${ts}` },
    '0x<hex ts>': { ...headers, 'x-slack-request-timestamp': `0x${Number(ts).toString(16)}` },
    '<ts>e0': { ...headers, 'x-slack-request-timestamp': `${ts}e0` },
    'signature=x': { ...headers, 'x-slack-signature': `${sig}=x` },
  };
}

/** Incident ids (one per run) on this suite's task queue; visibility is eventually consistent, so callers wait for what they expect. */
async function incidents(): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of h.client.workflow.list({ query: `WorkflowType = 'incidentWorkflow' AND TaskQueue = '${h.taskQueue}'` }))
    ids.push(info.workflowId);
  return ids.sort();
}
const answerOf = (res: { body: string }) => JSON.parse(res.body) as { text: string };
const incidentIn = (text: string) => /`(inc-break-glass-[0-9a-f]{16})`/.exec(text)?.[1];

describe('a captured /breakglass request', () => {
  it('is refused with 401 in every header spelling Bolt would accept, and as it was: one incident', async () => {
    const body = slashCommandBody({
      user: 'U0ALICE',
      command: '/breakglass',
      text: 'db-admin 30m restore orders after a bad migration',
      channel: INCIDENTS,
    });
    const headers = sign(SECRET, body);
    const variants = spellings(headers);
    // the attack: each spelling verifies with Bolt's own check, so only the guard in front stops it
    for (const v of Object.values(variants)) expect(() => verifySignatureAndParseBody(SECRET, body, v)).not.toThrow();

    const first = await a.post(body, headers);
    const id = incidentIn(answerOf(first).text)!;
    expect(answerOf(first).text).toMatch(/^Break-glass requested: incident `inc-break-glass-[0-9a-f]{16}`/);
    const answers = Object.fromEntries(
      await Promise.all(Object.entries(variants).map(async ([name, v]) => [name, (await a.post(body, v)).status] as const)),
    );
    expect(answers).toEqual(Object.fromEntries(Object.keys(variants).map((name) => [name, 401])));
    expect((await a.post(body, headers)).status).toBe(401);
    expect(await waitFor('the one incident listed', async () => (await incidents()).includes(id) && incidents())).toEqual([id]);
    expect((await getTimeline(h.client, id)).filter((e) => e.kind === 'incident.started')).toHaveLength(1);
  });

  it('replayed after a gateway restart, or through another replica, opens nothing and says so', async () => {
    const before = await incidents();
    const body = slashCommandBody({
      user: 'U0ALICE',
      command: '/breakglass',
      text: 'db-admin 15m rotate the orders replica password',
      channel: INCIDENTS,
    });
    const headers = sign(SECRET, body);
    const id = incidentIn(answerOf(await a.post(body, headers)).text)!;
    await a.close();
    a = await gateway(); // a new process's memory: the guard has never seen this request
    const replica = await gateway();
    try {
      for (const gw of [a, replica]) {
        const again = await gw.post(body, headers);
        expect(again.status).toBe(200);
        expect(answerOf(again).text).toBe(`Already received: this request opened incident \`${id}\` once; nothing more was done.`);
      }
      // and a fresh request reaching both replicas at once opens one incident
      const twin = slashCommandBody({
        user: 'U0ALICE',
        command: '/breakglass',
        text: 'db-admin 10m check the orders table',
        channel: INCIDENTS,
      });
      const twinHeaders = sign(SECRET, twin);
      const texts = (await Promise.all([a, replica].map((gw) => gw.post(twin, twinHeaders)))).map((r) => answerOf(r).text).sort();
      expect(texts[0]).toMatch(/^Already received: this request opened incident `inc-break-glass-/);
      expect(texts[1]).toMatch(/^Break-glass requested: /);
      const twinId = incidentIn(texts[1]!)!;
      expect(
        await waitFor('the two incidents listed', async () => ((await incidents()).length >= before.length + 2 ? incidents() : undefined)),
      ).toEqual([...before, id, twinId].sort());
    } finally {
      await replica.close();
    }
  });
});

describe('a captured button click', () => {
  it('casts one vote: every spelling, the replay, a restarted gateway and another replica add nothing to the timeline', async () => {
    const incidentId = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: `replay-${process.pid}` }, policy: 'two-person' },
      { taskQueue: h.taskQueue },
    );
    const post = await waitFor('the approval request', () =>
      fake
        .callsOf('chat.postMessage')
        .find((c) => c.args.channel === APPROVALS && JSON.stringify(c.args.blocks ?? []).includes(incidentId)),
    );
    const button = post.args.blocks.find((b: any) => b.type === 'actions').elements[0];
    const body = blockActionBody({
      user: 'U0BOB',
      actionId: 'gate_approve',
      value: button.value,
      channel: APPROVALS,
      messageTs: post.response!.ts,
      gateId: JSON.parse(button.value).gateId,
    });
    const headers = sign(SECRET, body);
    const decisions = () => logged.filter((l) => l.msg === 'decision from Slack' && l.incident === incidentId);

    expect((await a.post(body, headers)).status).toBe(200);
    await waitFor('the vote taken', () => decisions().length === 1);
    for (const v of Object.values(spellings(headers))) expect((await a.post(body, v)).status).toBe(401);
    expect((await a.post(body, headers)).status).toBe(401);

    await a.close();
    a = await gateway();
    const replica = await gateway();
    try {
      for (const gw of [a, replica]) expect((await gw.post(body, headers)).status).toBe(200); // Bolt acks; the vote is what matters
      // each replay reached the engine and was answered with the first vote's outcome (same nonce), writing nothing
      const taken = await waitFor('both replays answered', () => decisions().length === 3 && decisions());
      expect(taken.map((d) => [d.nonce, d.applied])).toEqual(Array(3).fill([taken[0]!.nonce, true]));
    } finally {
      await replica.close();
    }
    const gate = (await getStatus(h.client, incidentId)).gates[0]!;
    expect(gate).toMatchObject({ status: 'open', votes: [{ approver: 'bob', decision: 'approve' }] });
    const timeline = await getTimeline(h.client, incidentId);
    expect(timeline.filter((e) => e.kind.startsWith('approval.') && e.kind !== 'approval.requested').map((e) => [e.kind, e.actor])).toEqual(
      [['approval.vote', 'bob']],
    );
    expect(fake.callsOf('chat.postEphemeral').filter((c) => c.args.user === 'U0BOB')).toEqual([]);
  });
});
