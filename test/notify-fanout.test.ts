/**
 * Each notifier gets each notification once: when Slack fails and the notify activity is retried,
 * the notifiers that already delivered (the log, metrics, here a recording notifier in their place)
 * are not called again, and Slack still gets its message when it answers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

const TOKEN = 'xoxb-0000-fanout-token';
const INCIDENTS = 'C0INCIDENTS';

let fake: FakeSlack;
let h: Harness;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN });
  h = await startHarness({ slack: { botToken: TOKEN, channel: INCIDENTS, apiUrl: fake.url } });
});
afterAll(async () => {
  await h?.stop();
  await fake?.stop();
});

it('a failing Slack notifier does not make the other notifiers repeat themselves', async () => {
  // the incident's opening message fails twice: the notify activity runs three times
  fake.failNext('chat.postMessage', { status: 500 });
  fake.failNext('chat.postMessage', { status: 500 });
  const id = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `fanout-${process.pid}` } },
    { taskQueue: h.taskQueue },
  );
  await waitFor('the opening message in Slack, after two failures', () =>
    fake.callsOf('chat.postMessage').find((c) => String(c.args.text).includes(id)),
  );
  const failed = fake.calls.filter((c) => c.method === 'chat.postMessage' && !c.ok);
  expect(failed.length).toBeGreaterThanOrEqual(2);

  await waitForGate(h.client, id);
  await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
  await h.client.workflow.getHandle(id).result();
  const events = h.notifier.of(id);
  expect(events.filter((e) => e.kind === 'incident.started')).toHaveLength(1);
  const seqs = events.map((e) => e.seq);
  expect(seqs).toEqual([...new Set(seqs)]);
  // and Slack posted the opening message once, not once per attempt that reached it
  expect(fake.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts && String(c.args.text).includes(id))).toHaveLength(1);
});
