/**
 * One notifyBatch activity delivers several notifications as they would go one by one: in order,
 * each seeing the references the ones before it left, and on a retry no notifier repeats an event
 * it already delivered (issue 13), while the one that failed gets it and every later event.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createNotifyActivities, type Notifier } from '../activities/notify/notifier';
import type { IncidentNotification, NotificationBatch, NotificationRefs } from '../workflows/contracts';

const header = { id: 'inc-batch', title: 'batch', playbook: 'demo', mode: 'live', requester: 'alice', state: 'open' } as const;

function event(seq: number, kind: IncidentNotification['kind']): NotificationBatch['events'][number] {
  return { seq, kind, incident: { ...header }, summary: `${kind} #${seq}` };
}

/** Records what it was given; posts a "message" for the first event and expects its ref afterwards. */
class RecordingNotifier implements Notifier {
  readonly seen: { seq: number; refs: NotificationRefs }[] = [];
  failures = 0;
  constructor(
    readonly name: string,
    private readonly failOnSeq?: number,
  ) {}
  async notify(e: IncidentNotification): Promise<NotificationRefs | void> {
    if (this.failOnSeq === e.seq && this.failures === 0) {
      this.failures += 1;
      throw new Error(`${this.name} is down`);
    }
    this.seen.push({ seq: e.seq, refs: { ...e.refs } });
    if (e.seq === 1) return { [`${this.name}.thread`]: `t-${this.name}` };
  }
}

/** Runs the activity like Temporal would: a failed attempt's last heartbeat goes to the next attempt. */
async function runWithRetries(notifiers: Notifier[], batch: NotificationBatch, attempts = 3): Promise<NotificationRefs> {
  let details: unknown;
  for (let attempt = 1; ; attempt++) {
    const env = new MockActivityEnvironment(
      { activityType: 'notifyBatch', attempt, heartbeatDetails: details },
      // the failed attempts are the point: not worth a warning each
      { logger: new DefaultLogger('ERROR') },
    );
    env.on('heartbeat', (d: unknown) => (details = structuredClone(d)));
    try {
      return await env.run(createNotifyActivities(notifiers).notifyBatch, batch);
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}

describe('notifyBatch', () => {
  it('delivers the events in order, each with the references the earlier ones left', async () => {
    const log = new RecordingNotifier('log');
    const slack = new RecordingNotifier('slack');
    const refs = await runWithRetries([log, slack], {
      refs: { 'earlier.ref': 'x' },
      events: [event(1, 'incident.started'), event(2, 'approval.requested'), event(3, 'approval.closed')],
    });
    expect(slack.seen.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(slack.seen[0]!.refs).toEqual({ 'earlier.ref': 'x' });
    expect(slack.seen[1]!.refs).toEqual({ 'earlier.ref': 'x', 'log.thread': 't-log', 'slack.thread': 't-slack' });
    expect(refs).toEqual({ 'earlier.ref': 'x', 'log.thread': 't-log', 'slack.thread': 't-slack' });
  });

  it('on a retry, no notifier repeats an event it delivered, and the failing one catches up in order', async () => {
    const log = new RecordingNotifier('log');
    // Slack fails on the second event once: the first attempt ends there
    const slack = new RecordingNotifier('slack', 2);
    await runWithRetries([log, slack], {
      refs: {},
      events: [event(1, 'incident.started'), event(2, 'approval.requested'), event(3, 'action.started')],
    });
    expect(slack.failures).toBe(1);
    expect(log.seen.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(slack.seen.map((s) => s.seq)).toEqual([1, 2, 3]);
    // the retried event still carries the first event's references
    expect(slack.seen[1]!.refs).toEqual({ 'log.thread': 't-log', 'slack.thread': 't-slack' });
  });
});
