/**
 * Deadlines, reminders and escalation over minutes of workflow time, on the time-skipping test
 * server: the test takes a second, the workflow sees ten minutes pass.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INCIDENT_WORKFLOW } from '../client';
import type { IncidentStatus } from '../workflows';
import { timelineQuery } from '../workflows';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { RecordingNotifier } from './support/harness';
import { startTimeSkippingStack, type TimeSkippingStack } from './support/time-skipping';

let fake: FakeSlack;
let stack: TimeSkippingStack;
const notifier = new RecordingNotifier();

beforeAll(async () => {
  fake = await startFakeSlack({ token: 'xoxb-deadline' });
  stack = await startTimeSkippingStack({
    notifiers: [notifier],
    slack: { botToken: 'xoxb-deadline', channel: 'C0INCIDENTS', apiUrl: fake.url },
  });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

it('denies by default at the deadline, after reminding and escalating at their points', async () => {
  const id = `deadline-${randomUUID()}`;
  const handle = await stack.env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: id,
    taskQueue: stack.taskQueue,
    args: [{ playbook: 'demo', requester: 'alice', params: { service: 'slow-approvers' } }],
  });
  const final = (await handle.result()) as IncidentStatus;

  expect(final.state).toBe('denied');
  const gate = final.gates[0]!;
  expect(gate.status).toBe('expired');
  expect(gate.closed_reason).toMatch(/^no decision by .*: denied by default$/);
  const offset = (at: string) => Date.parse(at) - Date.parse(gate.opened_at);
  // Workflow time advances in task steps: a point fires at its mark plus a few ms, never before.
  const near = (ms: number) => expect.toSatisfy((v: number) => v >= ms && v < ms + 2_000, `${ms} ms (+ < 2 s)`);
  expect(offset(gate.closed_at!)).toEqual(near(10 * 60_000));
  expect(final.clock.decided_at).toBeUndefined();
  expect(final.clock.action_started_at).toBeUndefined();

  const timeline = await handle.query(timelineQuery);
  const gateEvents = timeline.filter((e) => e.kind.startsWith('approval.')).map((e) => [e.kind, offset(e.at)]);
  expect(gateEvents).toEqual([
    ['approval.requested', near(0)],
    ['approval.reminder', near(3 * 60_000)],
    ['approval.escalated', near(6 * 60_000)],
    ['approval.closed', near(10 * 60_000)],
  ]);

  const kinds = notifier.of(id).map((e) => e.kind);
  expect(kinds).toEqual(expect.arrayContaining(['approval.requested', 'approval.reminder', 'approval.escalated', 'approval.closed']));
  expect(notifier.of(id, 'approval.escalated')[0]!.escalateTo).toEqual(['dana', 'erin']);
  expect(notifier.of(id, 'approval.closed')[0]!.gate!.status).toBe('expired');

  // The same points in Slack: reminder and escalation in the thread, the request marked expired.
  const request = fake.callsOf('chat.postMessage').find((c) => JSON.stringify(c.args.blocks ?? []).includes(id))!;
  const thread = fake
    .callsOf('chat.postMessage')
    .filter((c) => c.args.thread_ts)
    .map((c) => String(c.args.text));
  expect(thread.find((t) => t.startsWith(':bell: Reminder'))).toMatch(/still needs 1 approval\(s\) from bob, carol before/);
  expect(thread).toContain(':mega: Escalated to dana, erin: *Quarantine service slow-approvers* still awaits approval');
  const final_ = fake.message(request.args.channel, request.response!.ts)!;
  expect(JSON.stringify(final_.blocks)).toContain('*Expired — denied.*');
  expect(final_.blocks!.some((b) => b.type === 'actions')).toBe(false);
});
