/**
 * Determinism guard. Histories recorded from earlier code (test/histories/*.json) must replay on
 * today's workflow code: a change that breaks one needs `patched()`, not a new recording. Fresh
 * histories of the same scenarios are replayed too; `npm run record-histories` saves them as the
 * new fixtures.
 */
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { alertsSignal, type IncidentRequestInput, type IncidentStatus, type TimelineEvent } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';
import { DEMO_NOTICES } from './support/demo';
import type { Notifier } from '../activities/notify/notifier';

const FIXTURES = join(import.meta.dirname, 'histories');
const RECORD = process.env.RECORD_HISTORIES === '1';

function replay(history: unknown, workflowId: string): Promise<void> {
  return Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, workflowId);
}

/**
 * The workflow ids fixtures were recorded under: signed decisions cover the incident id, so a
 * history replays only under its own (older fixtures did not depend on it, and use their name).
 */
const IDS_FILE = join(FIXTURES, 'workflow-ids.txt');
const recordedIds = (): Record<string, string> =>
  Object.fromEntries(
    (existsSync(IDS_FILE) ? readFileSync(IDS_FILE, 'utf8') : '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );

describe('recorded histories replay on the current workflow code', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  it.skipIf(RECORD)('has fixtures to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });
  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
    const name = file.replace(/\.json$/, '');
    await replay(history, recordedIds()[name] ?? name);
  });
});

const APPROVED_KEY_EVENTS = [
  'approval.requested tourniquet',
  'approval.vote bob',
  'approval.closed tourniquet',
  'action.started tourniquet',
  'action.completed tourniquet',
  'verify.passed tourniquet',
  'incident.contained tourniquet',
  'incident.finished tourniquet',
];

/** What happened, by whom, in order; the steps a replay must reproduce (not evidence or notices). */
const KEY_EVENTS = /^(approval|action|verify|compensation|alert\.repeated|incident\.(contained|finished))/;
const keyEvents = (timeline: TimelineEvent[]) => timeline.filter((e) => KEY_EVENTS.test(e.kind)).map((e) => `${e.kind} ${e.actor}`);
const gatesOf = (s: IncidentStatus) => s.gates.map((g) => [g.id, g.status, g.votes.map((v) => v.approver)]);

describe('fresh histories replay', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /**
   * Runs the scenario to its end and checks what it came to (`expectOutcome`) before replaying its
   * history: a scenario that went wrong would otherwise be recorded, and replayed, as if it were right.
   */
  async function run(
    name: string,
    request: Omit<IncidentRequestInput, 'requester'>,
    drive: (id: string) => Promise<void>,
    expectOutcome: (final: IncidentStatus, timeline: TimelineEvent[]) => void,
  ) {
    const id = await startIncident(
      h.client,
      { requester: 'alice', ...request },
      { taskQueue: h.taskQueue, incidentId: `${name}-${process.pid}-${Date.now()}` },
    );
    await waitForGate(h.client, id);
    await drive(id);
    // A failed incident's result is an error; its final status is what the query answers.
    await h.client.workflow
      .getHandle(id)
      .result()
      .catch(() => undefined);
    expectOutcome(await getStatus(h.client, id), await getTimeline(h.client, id));
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    await replay(history, id);
    if (RECORD) {
      writeFileSync(join(FIXTURES, `${name}.json`), historyToJSON(history));
      const ids = { ...recordedIds(), [name]: id };
      writeFileSync(
        IDS_FILE,
        Object.entries(ids)
          .map(([n, i]) => `${n} ${i}\n`)
          .join(''),
      );
    }
  }

  it('approved by a quorum of two after signed refusals, with repeat alerts', async () => {
    await run(
      'signed-quorum-approved',
      { playbook: 'demo', policy: 'two-person', params: { service: 'replay-quorum' } },
      async (id) => {
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'test', reason: 'self' });
        await h.client.workflow.getHandle(id).signal(alertsSignal, { count: 42, sample: [{ source: 'falco', title: 'again' }] });
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', reason: 'ok' });
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test', reason: 'ok' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({ state: 'resolved', outcome: 'playbook completed', alerts: { total: 42, batches: 1 } });
        expect(gatesOf(final)).toEqual([['g1', 'approved', ['bob', 'dana']]]);
        expect(keyEvents(timeline)).toEqual([
          'approval.requested tourniquet',
          'approval.refused alice',
          'alert.repeated falco',
          'approval.vote bob',
          'approval.vote dana',
          'approval.closed tourniquet',
          'action.started tourniquet',
          'action.completed tourniquet',
          'verify.passed tourniquet',
          'incident.contained tourniquet',
          'incident.finished tourniquet',
        ]);
        expect(timeline.find((e) => e.kind === 'approval.refused')?.details).toMatchObject({ code: 'SelfApproval' });
      },
    );
  });

  it('denied', async () => {
    await run(
      'denied',
      { playbook: 'demo', params: { service: 'replay-denied' } },
      async (id) => {
        await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'false positive' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({
          state: 'denied',
          outcome: 'Quarantine service replay-denied: denied (denied by bob: false positive)',
        });
        expect(gatesOf(final)).toEqual([['g1', 'denied', ['bob']]]);
        expect(keyEvents(timeline)).toEqual([
          'approval.requested tourniquet',
          'approval.vote bob',
          'approval.closed tourniquet',
          'incident.finished tourniquet',
        ]);
      },
    );
  });

  /** A verification that fails, then its compensation behind a second gate. */
  async function failedThenCompensated(name: string, service: string) {
    await run(
      name,
      { playbook: 'demo', params: { service, simulateVerifyFailure: true } },
      async (id) => {
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
        await waitFor('the compensation gate', async () =>
          (await getStatus(h.client, id)).gates.some((g) => g.id === 'g2' && g.status === 'open'),
        );
        await decide(h.client, { incidentId: id, gateId: 'g2', decision: 'approve', approver: 'carol', via: 'test' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({
          state: 'failed',
          outcome: `verification "service quarantined" failed: ${service}: simulated verification failure`,
        });
        expect(gatesOf(final)).toEqual([
          ['g1', 'approved', ['bob']],
          ['g2', 'approved', ['carol']],
        ]);
        expect(keyEvents(timeline)).toEqual([
          'approval.requested tourniquet',
          'approval.vote bob',
          'approval.closed tourniquet',
          'action.started tourniquet',
          'action.completed tourniquet',
          'verify.failed tourniquet',
          'compensation.started tourniquet',
          'approval.requested tourniquet',
          'approval.vote carol',
          'approval.closed tourniquet',
          'action.started tourniquet',
          'action.completed tourniquet',
          'compensation.completed tourniquet',
          'incident.finished tourniquet',
        ]);
      },
    );
  }

  it('failed verification with compensation', () => failedThenCompensated('failed-compensated', 'replay-failed'));

  // The lifecycle paths (alert-lifecycle.ts: patched notifications, a gate withdrawn from a signal handler)
  const alert = { source: 'alertmanager', title: 'ErrorBudgetBurn', key: 'k-replay-1' };
  it('every alert resolved: the request noted, then withdrawn on a route that withdraws', async () => {
    await run(
      'alerts-noted',
      { playbook: 'demo', params: { service: 'replay-noted' }, alerts: [alert] },
      async (id) => {
        const handle = h.client.workflow.getHandle(id);
        await handle.signal(alertsSignal, {
          count: 1,
          sample: [alert],
          keys: [alert.key],
          status: 'resolved',
          lastSeen: new Date().toISOString(),
        });
        await handle.signal(alertsSignal, { count: 1, sample: [alert], keys: [alert.key] });
        await waitFor('firing again', async () => (await getStatus(h.client, id)).alerts.firing === 1);
        await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'recovered' });
      },
      (final) => {
        expect(final.state).toBe('denied');
        expect(gatesOf(final)).toEqual([['g1', 'denied', ['bob']]]);
        // firing again after the resolution: the resolution no longer shows
        expect(final.alerts).toMatchObject({ distinct: 1, firing: 1 });
      },
    );
    await run(
      'alerts-withdrawn',
      { playbook: 'demo', params: { service: 'replay-withdrawn' }, alerts: [alert], lifecycle: { onResolved: 'withdraw' } },
      async (id) => {
        await h.client.workflow.getHandle(id).signal(alertsSignal, { count: 1, sample: [alert], keys: [alert.key], status: 'resolved' });
      },
      (final, timeline) => {
        expect(final.state).toBe('resolved');
        expect(final.outcome).toMatch(/alert resolved/);
        expect(gatesOf(final)).toEqual([['g1', 'withdrawn', []]]);
        // withdrawn: nothing ran and nothing was undone
        expect(timeline.filter((e) => /^(action|compensation)\./.test(e.kind))).toEqual([]);
      },
    );
  });

  /** Approved after a repeat alert: the demo's whole path, its evidence and its notices. */
  async function approvedAfterRepeat(name: string, service: string, repeats: number) {
    await run(
      name,
      { playbook: 'demo', params: { service } },
      async (id) => {
        await h.client.workflow.getHandle(id).signal(alertsSignal, { count: repeats, sample: [{ source: 'falco', title: 'again' }] });
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({ state: 'resolved', outcome: 'playbook completed' });
        expect(final.evidence.map((e) => e.name)).toEqual([
          'service snapshot (before)',
          `approvers: Quarantine service ${service}`,
          'service snapshot (after)',
        ]);
        expect(keyEvents(timeline)).toEqual([
          'approval.requested tourniquet',
          'alert.repeated falco',
          'approval.vote bob',
          'approval.closed tourniquet',
          'action.started tourniquet',
          'action.completed tourniquet',
          'verify.passed tourniquet',
          'incident.contained tourniquet',
          'incident.finished tourniquet',
        ]);
        expect(h.notifier.of(final.id).map((e) => e.kind)).toEqual(DEMO_NOTICES);
      },
    );
  }

  // recorded when notices began to ride the steps and the last news went in a local activity (notifications.ts, patch notice-riders)
  it('approved, notices riding the steps', () => approvedAfterRepeat('notice-riders', 'replay-riders', 3));

  // recorded when evidence and plain verifications became local activities (steps.ts, patch local-steps)
  it('approved, evidence and verification as local activities', () => approvedAfterRepeat('local-steps', 'replay-local-steps', 2));

  // recorded when plain verifications became local activities (steps.ts, patch local-steps)
  it('a local verification that fails, then its compensation', () => failedThenCompensated('local-steps-failed', 'replay-local-failed'));

  // recorded when new runs stopped taking local activities (patches.ts, patch-baseline-3)
  it('approved, no local activities: the lookup, the approval request and the last news as activities', () =>
    approvedAfterRepeat('no-local-activities', 'replay-no-locals', 2));

  // recorded when the start's memo began to declare the engine baseline, instead of a patch marker (patches.ts ENGINE_MEMO)
  it('approved, the engine baseline declared at the start: no patch marker', () =>
    approvedAfterRepeat('engine-declared', 'replay-engine-declared', 2));

  // The approval request tried in a local activity first (notifications.ts, patch quick-notices)
  it('approved, the approval request delivered by its quick try', async () => {
    await run(
      'quick-notices',
      { playbook: 'demo', params: { service: 'replay-quick' } },
      async (id) => {
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({ state: 'resolved', outcome: 'playbook completed' });
        expect(keyEvents(timeline)).toEqual(APPROVED_KEY_EVENTS);
        expect(h.notifier.of(final.id).map((e) => e.kind)).toEqual(DEMO_NOTICES);
      },
    );
  });

  it('approved, the approval request missed by its quick try and sent by a notifyBatch', async () => {
    // a pager that refuses the first approval request it sees: the notifyBatch's retry delivers it
    let asked = 0;
    const pager: Notifier = {
      name: 'pager',
      async notify(e) {
        if (e.kind === 'approval.requested' && e.incident.id.startsWith('quick-notices-missed') && asked++ === 0) {
          throw new Error('pager unreachable');
        }
      },
    };
    const notifiers = h.deps.notifiers as Notifier[];
    notifiers.push(pager);
    try {
      await run(
        'quick-notices-missed',
        { playbook: 'demo', params: { service: 'replay-quick-missed' } },
        async (id) => {
          await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
        },
        (final, timeline) => {
          expect(final).toMatchObject({ state: 'resolved', outcome: 'playbook completed' });
          expect(keyEvents(timeline)).toEqual(APPROVED_KEY_EVENTS);
          expect(asked).toBe(2); // refused, then delivered
          // every notifier got each notice once: the log through the quick try, the pager on the retry
          expect(h.notifier.of(final.id).map((e) => e.kind)).toEqual(DEMO_NOTICES);
          expect(timeline.filter((e) => e.kind === 'notify.failed')).toEqual([]);
        },
      );
    } finally {
      notifiers.splice(notifiers.indexOf(pager), 1);
    }
  });

  /** The TourniquetState values the run's history wrote, in order. */
  async function indexedStates(id: string): Promise<string[]> {
    const events = (await h.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    return events.flatMap((e) => {
      const state = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TourniquetState;
      return state ? [JSON.parse(Buffer.from(state.data!).toString()) as string] : [];
    });
  }

  // New runs index `acting` only once the action has run a while (incident.ts, patch acting-indexed-late):
  // a quick action's run never writes it, a slow one's writes it from the timer, while the action runs.
  it('approved, a quick action: the acting state never indexed', async () => {
    let id = '';
    await run(
      'acting-indexed-late',
      { playbook: 'demo', params: { service: 'replay-acting-quick' } },
      async (started) => {
        id = started;
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({ state: 'resolved', outcome: 'playbook completed' });
        expect(keyEvents(timeline)).toEqual(APPROVED_KEY_EVENTS);
      },
    );
    expect(await indexedStates(id)).toEqual(['awaiting-approval', 'open', 'contained', 'resolved']);
  });

  it('approved, a slow action: the acting state indexed while it runs', async () => {
    const service = 'replay-acting-slow';
    const read = h.world.read.bind(h.world);
    let holding: Promise<void> | undefined;
    let release = () => {};
    // the first read of the service after the approval is the action's: it waits until the index says `acting`
    h.world.read = async (name) => {
      if (name === service && holding) {
        const wait = holding;
        holding = undefined;
        await wait;
      }
      return read(name);
    };
    let id = '';
    try {
      await run(
        'acting-indexed-late-slow',
        { playbook: 'demo', params: { service } },
        async (started) => {
          id = started;
          holding = new Promise((resolve) => (release = resolve));
          await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
          await waitFor('the running action indexed as acting', async () => {
            const { searchAttributes } = await h.client.workflow.getHandle(id).describe();
            return (searchAttributes as Record<string, unknown[] | undefined>).TourniquetState?.[0] === 'acting';
          });
          expect((await getStatus(h.client, id)).state).toBe('acting');
          release();
        },
        (final, timeline) => {
          expect(final).toMatchObject({ state: 'resolved', outcome: 'playbook completed' });
          expect(keyEvents(timeline)).toEqual(APPROVED_KEY_EVENTS);
        },
      );
    } finally {
      release();
      h.world.read = read;
    }
    expect(await indexedStates(id)).toEqual(['awaiting-approval', 'acting', 'open', 'contained', 'resolved']);
  });

  it('drill', async () => {
    await run(
      'drill',
      { playbook: 'demo', mode: 'drill', params: { service: 'replay-drill' } },
      async (id) => {
        await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
      },
      (final, timeline) => {
        expect(final).toMatchObject({ state: 'resolved', mode: 'drill', outcome: 'playbook completed' });
        expect(gatesOf(final)).toEqual([['g1', 'approved', ['carol']]]);
        expect(keyEvents(timeline)).toEqual([
          'approval.requested tourniquet',
          'approval.vote carol',
          'approval.closed tourniquet',
          'action.started tourniquet',
          'action.completed tourniquet',
          'verify.passed tourniquet',
          'incident.contained tourniquet',
          'incident.finished tourniquet',
        ]);
        expect(timeline.find((e) => e.kind === 'action.completed')?.summary).toBe('DRILL: would quarantine replay-drill');
      },
    );
  });
});
