/**
 * break-glass from Slack, end to end: `/breakglass` through the real Bolt app (signed requests)
 * starts the incident, the grant lands on a real kube-apiserver, the thread announces it with a
 * "Revoke access now" button, and a click by another person takes the access away.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, getStatus, getTimeline } from '../client';
import type { IncidentStatus } from '../workflows';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { TEST_POLICIES, type Harness } from './support/harness';
import { startSlackGateway, type SlackGateway } from './support/slack-gateway';
import { grantsIn, testCatalogue, userMay } from './support/kube/break-glass';
import { useKubeSuite } from './support/kube/suite';
import { blockActionBody, slashCommandBody } from './support/slack-requests';
import { waitFor } from './support/wait';

const TOKEN = 'xoxb-0000-test-token';
const SECRET = 'test-signing-secret-8f2c';
const INCIDENTS = 'C0INCIDENTS';
const POLICIES = { ...TEST_POLICIES, people: { alice: { slack: 'U0ALICE' }, carol: { slack: 'U0CAROL' } } };
const USER = 'alice@example.com';

let fake: FakeSlack;
const kube = useKubeSuite({
  setup: async () => {
    fake = await startFakeSlack({ token: TOKEN });
  },
  harness: ({ ns }) => ({
    policies: POLICIES,
    slack: { botToken: TOKEN, channel: INCIDENTS, apiUrl: fake.url },
    breakGlass: testCatalogue(ns),
  }),
  teardown: async () => fake?.stop(),
});
let admin: KubeConfig;
let ns: string;
let h: Harness;
let gateway: SlackGateway;

beforeAll(async () => {
  ({ admin, ns, h } = kube);
  gateway = await startSlackGateway(h, fake, { policies: POLICIES, token: TOKEN, secret: SECRET });
});

afterAll(async () => {
  await gateway?.close();
});

const slack = (body: string) => gateway.post(body);

it('requested with /breakglass, announced with a revoke button, revoked by a click', async () => {
  const asked = await slack(
    slashCommandBody({
      user: 'U0ALICE',
      command: '/breakglass',
      text: `ns-edit ${ns} 30m restore orders after a bad migration`,
      channel: INCIDENTS,
    }),
  );
  const id = /`(inc-break-glass-[a-z0-9]+)`/.exec(JSON.parse(asked.body).text)![1]!;
  await waitFor('the grant gate', async () => (await getStatus(h.client, id)).state === 'awaiting-approval');
  expect((await getStatus(h.client, id)).requester).toBe('alice');
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test' });

  const announced = await waitFor('the grant announced in the thread, with a revoke button', () =>
    fake.callsOf('chat.postMessage').find((c) => c.ok && String(c.args.text).startsWith('Access granted') && c.args.thread_ts),
  );
  expect(announced.args.text).toContain(`${USER} has ns-edit in namespace ${ns} until `);
  const actions = announced.args.blocks.find((b: any) => b.type === 'actions');
  expect(actions.elements).toMatchObject([
    { type: 'button', action_id: 'incident_command:revoke', style: 'danger', text: { text: 'Revoke access now' } },
  ]);
  expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);

  const button = actions.elements[0];
  const click = await slack(
    blockActionBody({
      user: 'U0CAROL',
      actionId: button.action_id,
      value: button.value,
      channel: INCIDENTS,
      messageTs: announced.response!.ts,
      blockId: actions.block_id,
      label: 'Revoke access now',
    }),
  );
  expect(click.status).toBe(200);
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(await grantsIn(admin, ns)).toEqual([]);
  expect((await getTimeline(h.client, id)).find((e) => e.kind === 'command.received')).toMatchObject({
    actor: 'carol',
    details: { via: 'slack:U0CAROL', command: 'revoke' },
  });
  await waitFor('the clicker told it was taken', () =>
    fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'U0CAROL' && String(c.args.text).includes('Taken: revoke')),
  );
  await waitFor('the revoke announced', () =>
    fake
      .callsOf('chat.postMessage')
      .find((c) => String(c.args.text).startsWith('Access revoked') && String(c.args.text).includes('revoked early by carol')),
  );
  // The button is withdrawn where it was offered: same line, no button, and why.
  const updated = await waitFor('the offer updated to say the grant ended', () => {
    const message = fake.message(INCIDENTS, announced.response!.ts);
    return message && !message.blocks?.some((b: any) => b.type === 'actions') ? message : undefined;
  });
  expect(updated.blocks![0].text.text).toContain(`${USER} has ns-edit in namespace ${ns} until `);
  expect(JSON.stringify(updated.blocks)).toMatch(
    /:lock: Ended — Access revoked: alice@example.com no longer has ns-edit .*revoked early by carol/,
  );
  expect(fake.callsOf('chat.update').filter((c) => c.args.ts === announced.response!.ts)).toHaveLength(1);

  // The same button after the incident ended: refused, privately, saying why.
  await slack(
    blockActionBody({
      user: 'U0CAROL',
      actionId: button.action_id,
      value: button.value,
      channel: INCIDENTS,
      messageTs: announced.response!.ts,
      blockId: actions.block_id,
      label: 'Revoke access now',
    }),
  );
  await waitFor('the late click refused', () =>
    fake
      .callsOf('chat.postEphemeral')
      .find((c) => c.args.user === 'U0CAROL' && String(c.args.text).startsWith(':no_entry_sign: Not applied')),
  );
});

it('/breakglass extend from someone other than the requester is refused, privately', async () => {
  const asked = await slack(
    slashCommandBody({
      user: 'U0ALICE',
      command: '/breakglass',
      text: `ns-edit 30m restore orders after a bad migration`,
      channel: INCIDENTS,
    }),
  );
  const id = /`(inc-break-glass-[a-z0-9]+)`/.exec(JSON.parse(asked.body).text)![1]!;
  await waitFor('the grant gate', async () => (await getStatus(h.client, id)).state === 'awaiting-approval');
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test' });
  await waitFor('the grant', async () => (await getStatus(h.client, id)).state === 'contained');
  const extend = await slack(
    slashCommandBody({ user: 'U0CAROL', command: '/breakglass', text: `extend ${id} 30m carol wants more time`, channel: INCIDENTS }),
  );
  expect(JSON.parse(extend.body)).toMatchObject({
    response_type: 'ephemeral',
    text: ':no_entry_sign: Not applied — only alice, who requested this incident, may ask to extend',
  });
  const revoke = await slack(
    slashCommandBody({ user: 'U0ALICE', command: '/breakglass', text: `revoke ${id} finished`, channel: INCIDENTS }),
  );
  expect(JSON.parse(revoke.body).text).toBe(`Revoke requested for \`${id}\`: the access is being removed.`);
  await h.client.workflow.getHandle(id).result();
  expect(await grantsIn(admin, ns)).toEqual([]);
});
