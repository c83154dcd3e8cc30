/**
 * Notices riding a step activity (activities/notify/riders.ts): delivered once the step succeeded,
 * in order with the references earlier ones left; a notifier that fails or does not answer within
 * the budget never fails or holds up the step, and the notifyBatch that takes over the rest
 * repeats nothing that was delivered (not even a call the rider gave up waiting for).
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createNotifyActivities, DeliveryRegistry, type Notifier } from '../activities/notify/notifier';
import { withNoticeRiders } from '../activities/notify/riders';
import { FAILURE_TYPES } from '../workflows/failure-types';
import {
  NOTICES_FIELD,
  type IncidentNotification,
  type NoticeOutcome,
  type NotificationBatch,
  type NotificationRefs,
} from '../workflows/contracts';

const header = { id: 'inc-riders', title: 'riders', playbook: 'demo', mode: 'live', requester: 'alice', state: 'open' } as const;

function event(seq: number, kind: IncidentNotification['kind']): NotificationBatch['events'][number] {
  return { seq, kind, incident: { ...header }, summary: `${kind} #${seq}` };
}

/** Records each call (and when), returns a thread ref for the first event; can fail or hang. */
class ControlledNotifier implements Notifier {
  readonly calls: { seq: number; refs: NotificationRefs; at: number }[] = [];
  mode: 'up' | 'fail' | 'hang' = 'up';
  private release?: () => void;
  constructor(readonly name: string) {}
  async notify(e: IncidentNotification): Promise<NotificationRefs | void> {
    this.calls.push({ seq: e.seq, refs: { ...e.refs }, at: Date.now() });
    if (this.mode === 'fail') throw new Error(`${this.name} is down`);
    if (this.mode === 'hang') await new Promise<void>((resolve) => (this.release = resolve));
    if (e.seq === 1) return { [`${this.name}.thread`]: `t-${this.name}` };
  }
  /** answers the call it hung on */
  answer(): void {
    this.release?.();
  }
  seqs(): number[] {
    return this.calls.map((c) => c.seq);
  }
}

const quiet = { logger: new DefaultLogger('ERROR') };
const info = { workflowExecution: { workflowId: 'inc-riders', runId: 'run-1' } };

/** A step activity that records what it was given and when it ran. */
function demoStep(log: string[]) {
  return {
    async demoStep(req: { target: string }) {
      log.push(`step ${JSON.stringify(req)}`);
      return { summary: `did ${req.target}` };
    },
    async demoBroken(_req: unknown): Promise<never> {
      log.push('broken step');
      throw new Error('the step failed');
    },
  };
}

function carrying(req: object, events: NotificationBatch['events'], budgetMs = 2_000): object {
  return { ...req, [NOTICES_FIELD]: { refs: { 'earlier.ref': 'x' }, events, budgetMs } satisfies NotificationBatch };
}

describe('notices riding a step activity', () => {
  it('go out after the step succeeded, in order, each with the references earlier ones left; the step sees its own input', async () => {
    const log: string[] = [];
    const slack = new ControlledNotifier('slack');
    const recorder: Notifier = { name: 'log', notify: async (e) => void log.push(`notice ${e.seq}`) };
    const steps = withNoticeRiders(demoStep(log), [recorder, slack], new DeliveryRegistry());
    const answer = (await new MockActivityEnvironment(info, quiet).run(
      steps.demoStep,
      carrying({ target: 'svc' }, [event(1, 'approval.closed'), event(2, 'action.started')]) as { target: string },
    )) as unknown as { [NOTICES_FIELD]: NoticeOutcome; result: unknown };

    expect(log).toEqual(['step {"target":"svc"}', 'notice 1', 'notice 2']);
    expect(answer.result).toEqual({ summary: 'did svc' });
    expect(answer[NOTICES_FIELD]).toMatchObject({ complete: 2, refs: { 'earlier.ref': 'x', 'slack.thread': 't-slack' } });
    expect(slack.calls[1]!.refs).toEqual({ 'earlier.ref': 'x', 'slack.thread': 't-slack' });
  });

  it('a step without notices runs and answers as ever', async () => {
    const log: string[] = [];
    const steps = withNoticeRiders(demoStep(log), [new ControlledNotifier('slack')], new DeliveryRegistry());
    expect(await new MockActivityEnvironment(info, quiet).run(steps.demoStep, { target: 'plain' })).toEqual({ summary: 'did plain' });
  });

  it('a step that fails delivers none of them (its retry cannot repeat a line) and fails as it would have', async () => {
    const log: string[] = [];
    const slack = new ControlledNotifier('slack');
    const steps = withNoticeRiders(demoStep(log), [slack], new DeliveryRegistry());
    await expect(
      new MockActivityEnvironment(info, quiet).run(steps.demoBroken, carrying({}, [event(1, 'action.started')])),
    ).rejects.toThrow('the step failed');
    expect(slack.calls).toEqual([]);
  });

  it('a notifier that fails costs the step nothing; the notifyBatch after it catches that notifier up in order and repeats no one', async () => {
    const log: string[] = [];
    const slack = new ControlledNotifier('slack');
    const other = new ControlledNotifier('log');
    const registry = new DeliveryRegistry();
    const steps = withNoticeRiders(demoStep(log), [other, slack], registry);
    slack.mode = 'fail';
    const events = [event(1, 'incident.started'), event(2, 'approval.requested')];
    const answer = (await new MockActivityEnvironment(info, quiet).run(
      steps.demoStep,
      carrying({ target: 'svc' }, events) as { target: string },
    )) as unknown as {
      [NOTICES_FIELD]: NoticeOutcome;
      result: unknown;
    };
    expect(answer.result).toEqual({ summary: 'did svc' });
    const outcome = answer[NOTICES_FIELD];
    // the first event reached the other notifier only; nothing after it went out
    expect(outcome).toMatchObject({
      complete: 0,
      delivered: { 1: { log: { 'log.thread': 't-log' } } },
      error: expect.stringMatching(/slack is down/),
    });
    expect(other.seqs()).toEqual([1]);

    // what the workflow sends next (notifications.ts): the same events, with what was delivered
    slack.mode = 'up';
    const refs = await new MockActivityEnvironment(info, quiet).run(createNotifyActivities([other, slack], registry).notifyBatch, {
      refs: outcome.refs,
      events,
      delivered: outcome.delivered,
    });
    expect(other.seqs()).toEqual([1, 2]);
    expect(slack.seqs()).toEqual([1, 1, 2]); // the failed call, then the catch-up in order
    expect(slack.calls[2]!.refs).toEqual({ 'earlier.ref': 'x', 'log.thread': 't-log', 'slack.thread': 't-slack' });
    expect(refs).toEqual({ 'earlier.ref': 'x', 'log.thread': 't-log', 'slack.thread': 't-slack' });
  });

  it('a notifier that does not answer holds the step only for the budget; the notifyBatch awaits that call instead of repeating it', async () => {
    const log: string[] = [];
    const slack = new ControlledNotifier('slack');
    const registry = new DeliveryRegistry();
    const steps = withNoticeRiders(demoStep(log), [slack], registry);
    slack.mode = 'hang';
    const events = [event(1, 'incident.started'), event(2, 'incident.contained')];
    const started = Date.now();
    const answer = (await new MockActivityEnvironment(info, quiet).run(
      steps.demoStep,
      carrying({ target: 'svc' }, events, 300) as { target: string },
    )) as unknown as { [NOTICES_FIELD]: NoticeOutcome };
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer[NOTICES_FIELD]).toMatchObject({ complete: 0, error: expect.stringMatching(/budget/) });

    slack.mode = 'up';
    const batch = createNotifyActivities([slack], registry).notifyBatch;
    const refs = new MockActivityEnvironment(info, quiet).run(batch, { refs: answer[NOTICES_FIELD].refs, events });
    slack.answer(); // the call the rider gave up on lands now
    expect(await refs).toEqual({ 'earlier.ref': 'x', 'slack.thread': 't-slack' });
    expect(slack.seqs()).toEqual([1, 2]);
  });

  it("a notifier's failure counts as the notifyBatch's first attempt: Slack's Retry-After is waited out, a refusal not retried", async () => {
    const slack = new ControlledNotifier('slack');
    const registry = new DeliveryRegistry();
    slack.notify = async (e) => {
      slack.calls.push({ seq: e.seq, refs: { ...e.refs }, at: Date.now() });
      throw ApplicationFailure.create({
        message: 'Slack rate-limited chat.postMessage',
        type: FAILURE_TYPES.SlackRateLimited,
        nextRetryDelay: '3s',
      });
    };
    const events = [event(1, 'incident.started')];
    const answer = (await new MockActivityEnvironment(info, quiet).run(
      withNoticeRiders(demoStep([]), [slack], registry).demoStep,
      carrying({ target: 'svc' }, events) as { target: string },
    )) as unknown as { [NOTICES_FIELD]: NoticeOutcome };
    const { failure } = answer[NOTICES_FIELD];
    expect(failure).toEqual({ message: 'Slack rate-limited chat.postMessage', type: 'SlackRateLimited', nextRetryDelay: '3s' });

    // the notifyBatch's first attempt fails as the rider did, calling no one, so Temporal waits the 3 s
    const batch = createNotifyActivities([slack], registry).notifyBatch;
    const first = new MockActivityEnvironment({ ...info, attempt: 1 }, quiet).run(batch, { refs: {}, events, failure: failure! });
    await expect(first).rejects.toMatchObject({ type: 'SlackRateLimited', nextRetryDelay: '3s', nonRetryable: false });
    expect(slack.calls).toHaveLength(1);
    // the next attempt calls again
    await expect(
      new MockActivityEnvironment({ ...info, attempt: 2 }, quiet).run(batch, { refs: {}, events, failure: failure! }),
    ).rejects.toThrow(/rate-limited/);
    expect(slack.calls).toHaveLength(2);
  });

  it('the last news (deliverNotices) is one quick try that never throws', async () => {
    const slack = new ControlledNotifier('slack');
    slack.mode = 'fail';
    const outcome = await new MockActivityEnvironment(info, quiet).run(createNotifyActivities([slack]).deliverNotices, {
      refs: {},
      events: [event(7, 'incident.finished')],
      budgetMs: 1_000,
    });
    expect(outcome).toMatchObject({ complete: 0, delivered: { 7: {} }, error: expect.stringMatching(/slack is down/) });
    expect(slack.seqs()).toEqual([7]);
  });
});
