/**
 * A demo incident's notices ride its steps (workflows/notifications.ts): the promises notifications
 * kept one batch at a time still hold. Every notice reaches every notifier once, in order, each
 * with the references earlier ones left; the last news is delivered before the run ends; and a
 * notifier that is down holds up neither the gate nor the action (the notices catch up once it is
 * back, before the run ends).
 */
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { Notifier } from '../activities/notify/notifier';
import type { IncidentNotification, NotificationRefs } from '../workflows';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { DEMO_NOTICES } from './support/demo';

/** A pager: leaves a thread reference with the first notice, fails every call while down. */
class Pager implements Notifier {
  name = 'pager';
  down = false;
  /** a kind of notice the pager takes but does not answer until `answer()` (a Slack that hangs) */
  hangOn?: string;
  private hung: (() => void)[] = [];
  readonly calls: { id: string; kind: string; refs: NotificationRefs; at: number; ok: boolean; answered?: boolean }[] = [];
  async notify(e: IncidentNotification): Promise<NotificationRefs | void> {
    const call = { id: e.incident.id, kind: e.kind, refs: { ...e.refs }, at: Date.now(), ok: !this.down, answered: false };
    this.calls.push(call);
    if (this.down) throw new Error('pager unreachable');
    if (e.kind === this.hangOn) await new Promise<void>((resolve) => this.hung.push(resolve));
    call.answered = true;
    if (e.kind === 'incident.started') return { 'pager.thread': `thread-${e.incident.id}` };
  }
  answer() {
    this.hangOn = undefined;
    for (const resolve of this.hung.splice(0)) resolve();
  }
  delivered(id: string) {
    return this.calls.filter((c) => c.id === id && c.ok);
  }
}

let h: Harness;
const pager = new Pager();
beforeAll(async () => {
  h = await startHarness();
  // the worker's activities read the notifier list when they deliver
  (h.deps.notifiers as Notifier[]).push(pager);
});
afterAll(async () => {
  await h?.stop();
});

let seq = 0;
async function start(): Promise<string> {
  const id = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `riders-${process.pid}-${++seq}` } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, id, { timeoutMs: 60_000 });
  return id;
}

async function replays(id: string): Promise<void> {
  const history = await h.client.workflow.getHandle(id).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, id);
}

function expectDeliveredOnceInOrder(id: string) {
  const delivered = pager.delivered(id);
  expect(delivered.map((c) => c.kind)).toEqual(DEMO_NOTICES);
  expect(h.notifier.of(id).map((e) => e.kind)).toEqual(DEMO_NOTICES);
  // every notice after the first sees the thread the first one left
  for (const c of delivered.slice(1)) expect(c.refs['pager.thread']).toBe(`thread-${id}`);
}

describe('notices riding the steps of a demo incident', () => {
  it('reach every notifier once, in order, with earlier references; the last news before the run ends', async () => {
    const id = await start();
    expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({ applied: true });
    await h.client.workflow.getHandle(id).result();
    expectDeliveredOnceInOrder(id);
    const closed = (await h.client.workflow.getHandle(id).describe()).closeTime!.getTime();
    expect(pager.delivered(id).at(-1)!.at).toBeLessThanOrEqual(closed);
    await replays(id);
  });

  it('a notifier down holds up neither the gate nor the action; its notices catch up, once each and in order, before the run ends', async () => {
    pager.down = true;
    let id: string;
    try {
      id = await start();
      expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({
        applied: true,
      });
      // the playbook ran to its end with the pager down (the action and the verification did not wait)
      await waitFor('the incident resolved while the pager is down', async () => (await getStatus(h.client, id)).state === 'resolved', {
        timeoutMs: 60_000,
      });
      const timeline = await getTimeline(h.client, id);
      expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['action.completed', 'verify.passed', 'incident.finished']));
      // but the run waits for its news
      expect((await h.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
      expect(pager.delivered(id)).toEqual([]);
    } finally {
      pager.down = false;
    }
    await h.client.workflow.getHandle(id).result();
    expect(pager.calls.filter((c) => c.id === id && !c.ok).length).toBeGreaterThan(0);
    expectDeliveredOnceInOrder(id);
    const closed = (await h.client.workflow.getHandle(id).describe()).closeTime!.getTime();
    expect(pager.delivered(id).at(-1)!.at).toBeLessThanOrEqual(closed);
    // the notifyBatch that took over succeeded in the end: no failure on the record
    expect((await getTimeline(h.client, id)).filter((e) => e.kind === 'notify.failed')).toEqual([]);
    await replays(id);
  });

  it('a notifier that hangs on the approval request does not hold the gate: the gate opens and is approved meanwhile, and the request is not sent twice', async () => {
    pager.hangOn = 'approval.requested';
    let id: string;
    try {
      // the gate is open, and decided, while the pager still has not answered the request
      id = await start();
      // the request's notifyBatch reaches the pager after the gate opened (start() waits for that)
      const asked = await waitFor('the approval request at the pager', () => {
        const calls = pager.calls.filter((c) => c.id === id && c.kind === 'approval.requested');
        return calls.length > 0 ? calls : undefined;
      });
      expect(asked).toMatchObject([{ answered: false }]);
      expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({
        applied: true,
      });
      await waitFor('the incident resolved while the pager hangs', async () => (await getStatus(h.client, id)).state === 'resolved', {
        timeoutMs: 60_000,
      });
      expect((await h.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
      // before the approval: the request went in a notifyBatch (new runs take no local activity, patches.ts)
      const events = (await h.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const beforeApproval = events.slice(
        0,
        events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
      );
      const local = beforeApproval.flatMap((e) => {
        const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
        return data ? [JSON.parse(Buffer.from(data).toString()).activity_type] : [];
      });
      expect(local).toEqual([]);
      expect(beforeApproval.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual([
        'demoSnapshot',
        'resolveApprovalPolicy',
        'notifyBatch',
      ]);
    } finally {
      pager.answer();
    }
    await h.client.workflow.getHandle(id).result();
    // one call for the request: the notifyBatch's retries awaited the call in flight instead of repeating it
    expect(pager.calls.filter((c) => c.id === id && c.kind === 'approval.requested')).toHaveLength(1);
    expectDeliveredOnceInOrder(id);
    expect((await getTimeline(h.client, id)).filter((e) => e.kind === 'notify.failed')).toEqual([]);
    await replays(id);
  });
});
