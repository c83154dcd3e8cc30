/**
 * Buttons offered in an incident's thread ("Revoke access now") are withdrawn once the incident
 * stops taking commands — revoked early or expired — by updating the message where they were.
 * The Slack notifier against the strict fake Slack, without a workflow.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSlackClient, SlackNotifier } from '../activities/slack';
import type { IncidentNotification, NotificationRefs } from '../workflows';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';

const TOKEN = 'xoxb-0000-offers-token';
const CHANNEL = 'C0INCIDENTS';

let fake: FakeSlack;
let notifier: SlackNotifier;
beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN });
  notifier = new SlackNotifier(createSlackClient({ botToken: TOKEN, apiUrl: fake.url }), CHANNEL, { who: (id) => id });
});
afterAll(() => fake?.stop());

const incident = {
  id: 'inc-break-glass-offers',
  title: 'break-glass',
  playbook: 'break-glass',
  mode: 'live' as const,
  requester: 'alice',
  state: 'contained' as const,
};

it('an offer whose grant expired loses its button and says so; later events leave it alone', async () => {
  const refs: NotificationRefs = {};
  const send = async (seq: number, summary: string, extra: Partial<IncidentNotification>) => {
    Object.assign(refs, await notifier.notify({ seq, kind: 'incident.update', incident, summary, refs: { ...refs }, ...extra }));
  };
  await send(1, 'Access granted: alice has ns-edit in namespace shop until 12:00', {
    offer: [{ command: 'revoke', label: 'Revoke access now', style: 'danger' }],
    commandsOpen: true,
  });
  const offer = fake.callsOf('chat.postMessage').find((c) => String(c.args.text).startsWith('Access granted'))!;
  expect(offer.args.blocks.some((b: any) => b.type === 'actions')).toBe(true);

  // an extension while access is live: the button stays
  await send(2, 'Access extended until 12:30', { commandsOpen: true });
  expect(fake.callsOf('chat.update')).toHaveLength(0);

  await send(3, 'Access revoked: alice no longer has ns-edit in namespace shop (expired at 12:30)', { commandsOpen: false });
  const message = fake.message(CHANNEL, offer.response!.ts)!;
  expect(message.blocks!.some((b: any) => b.type === 'actions')).toBe(false);
  expect(message.blocks![0].text.text).toBe('Access granted: alice has ns-edit in namespace shop until 12:00');
  expect(message.blocks![1].elements[0].text).toBe(
    ':lock: Ended — Access revoked: alice no longer has ns-edit in namespace shop (expired at 12:30)',
  );

  await send(4, 'resolved: playbook completed', { kind: 'incident.finished', commandsOpen: false });
  expect(fake.callsOf('chat.update')).toHaveLength(1);
});
