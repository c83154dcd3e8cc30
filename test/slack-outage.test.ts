/**
 * Who may approve when Slack cannot say: a gate whose policy names a Slack user group opens even
 * while Slack rate-limits or is down — from Slack after honouring Retry-After, from the group's
 * last known membership (recorded as such), or closed to the group until Slack answers. The
 * incident never fails for it.
 */
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

const TOKEN = 'xoxb-0000-outage-token';
const INCIDENTS = 'C0INCIDENTS';
const POLICIES = {
  people: { alice: { slack: 'U0ALICE' }, bob: { slack: 'U0BOB' }, carol: { slack: 'U0CAROL' } },
  groups: { oncall: ['alice', 'bob', 'carol'] },
  policies: {
    standard: { approvers: ['@oncall'], quorum: 1, timeout: '10m' },
    'two-person': { approvers: ['@oncall'], quorum: 2, timeout: '10m' },
    oncall: { approvers: ['slack-group:S0ONCALL'], quorum: 1, timeout: '10m' },
    later: { approvers: ['slack-group:S0LATER'], quorum: 1, timeout: '10m' },
    gone: { approvers: ['slack-group:S0GONE'], quorum: 1, timeout: '10m' },
    'bob-or-group': { approvers: ['bob', 'slack-group:S0PENDING'], quorum: 1, timeout: '10m' },
  },
};
const GROUPS = 'usergroups.users.list';

let fake: FakeSlack;
let h: Harness;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN, groups: { S0ONCALL: ['U0BOB', 'U0ZED'], S0LATER: ['U0CAROL'] } });
  h = await startHarness({ policies: POLICIES, slack: { botToken: TOKEN, channel: INCIDENTS, apiUrl: fake.url } });
});
afterAll(async () => {
  await h?.stop();
  await fake?.stop();
});

let seq = 0;
function open(policy: string): Promise<string> {
  return startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `outage-${process.pid}-${++seq}` }, policy },
    { taskQueue: h.taskQueue },
  );
}

async function approversRecord(id: string) {
  const status = await getStatus(h.client, id);
  const refs = status.evidence.filter((e) => e.name.startsWith('approvers:'));
  return JSON.parse((await h.deps.store.get(refs.at(-1)!.uri)).toString());
}

/** The run's history replays on the workflow code: the fallback paths are deterministic. */
async function replays(id: string): Promise<void> {
  const history = await h.client.workflow.getHandle(id).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, id);
}

const groupCalls = (group: string) => fake.calls.filter((c) => c.method === GROUPS && c.args.usergroup === group);

describe('eligibility from a Slack user group while Slack fails', () => {
  it('waits out three 429s for their Retry-After, then opens the gate with the members Slack gives', async () => {
    for (let i = 0; i < 3; i++) fake.failNext(GROUPS, { status: 429, retryAfter: 2 });
    const before = groupCalls('S0ONCALL').length;
    const id = await open('oncall');
    const status = await waitForGate(h.client, id, { timeoutMs: 60_000 });
    expect(status.gates[0]!.eligible).toEqual(['bob', 'slack:U0ZED']);
    const calls = groupCalls('S0ONCALL').slice(before);
    expect(calls.map((c) => c.ok)).toEqual([false, false, false, true]);
    // 2 s each: longer than the retry policy's 1 s first interval, so only honouring Retry-After passes
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(2000);
    expect((await approversRecord(id)).groups).toEqual([{ ref: 'slack-group:S0ONCALL', members: ['bob', 'slack:U0ZED'] }]);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
  });

  it('with Slack down, falls back to the last known membership, says so, and the members decide', async () => {
    // Slack answers once: that membership is remembered (in Temporal, shared by every worker).
    const first = await open('oncall');
    await waitForGate(h.client, first);
    await decide(h.client, { incidentId: first, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
    const seen = groupCalls('S0ONCALL')
      .filter((c) => c.ok)
      .at(-1)!.at;

    fake.setDown(true);
    let id: string;
    try {
      id = await open('oncall');
      const status = await waitForGate(h.client, id, { timeoutMs: 60_000 });
      expect(status.gates[0]!.eligible).toEqual(['bob', 'slack:U0ZED']);
      const note = (await getTimeline(h.client, id)).find((e) => e.kind === 'approval.eligibility')!;
      expect(note.summary).toMatch(/eligibility from slack-group:S0ONCALL membership cached at \S+, Slack unreachable/);
      const cachedAt = Date.parse(String(note.details!.cached_at));
      expect(cachedAt).toBeGreaterThanOrEqual(seen - 1000);
      expect(cachedAt).toBeLessThanOrEqual(Date.now());
      const record = await approversRecord(id);
      expect(record.groups).toEqual([
        {
          ref: 'slack-group:S0ONCALL',
          members: ['bob', 'slack:U0ZED'],
          source: 'cache',
          cachedAt: note.details!.cached_at,
          reason: expect.stringMatching(/Slack unreachable/),
        },
      ]);
      expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({
        applied: true,
      });
      await waitFor('the incident to resolve while Slack is down', async () => (await getStatus(h.client, id)).state === 'resolved', {
        timeoutMs: 60_000,
      });
    } finally {
      fake.setDown(false);
    }
    // the run completes once its notifications are out, which needs Slack back
    await h.client.workflow.getHandle(id).result();
    await replays(id);
  });

  it('with no membership known, the gate stays closed to the group, the incident waits, and a later answer lets its members decide', async () => {
    fake.outage(GROUPS, { status: 'drop' });
    let id: string;
    try {
      id = await open('later');
      const status = await waitForGate(h.client, id, { timeoutMs: 60_000 });
      expect(status.gates[0]).toMatchObject({ status: 'open', eligible: [] });
      const note = (await getTimeline(h.client, id)).find((e) => e.kind === 'approval.eligibility')!;
      expect(note.summary).toMatch(
        /slack-group:S0LATER unresolved \(.*no membership known\); nobody from it may decide until Slack answers/,
      );
      expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' })).toMatchObject({
        applied: false,
        code: 'ApproverNotEligible',
      });
      expect((await getStatus(h.client, id)).state).toBe('awaiting-approval');
    } finally {
      fake.clearOutage(GROUPS);
    }
    // The gate asks again 30 s after it opened.
    await waitFor('carol to become eligible', async () => (await getStatus(h.client, id)).gates[0]!.eligible.includes('carol'), {
      timeoutMs: 90_000,
    });
    const timeline = await getTimeline(h.client, id);
    expect(timeline.some((e) => e.kind === 'approval.eligibility' && e.summary.includes('eligible approvers resolved: carol'))).toBe(true);
    expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' })).toMatchObject({
      applied: true,
    });
    await waitFor('the incident to resolve', async () => (await getStatus(h.client, id)).state === 'resolved', { timeoutMs: 60_000 });
    await h.client.workflow.getHandle(id).result();
    await replays(id);
  });

  it('an approver outside the unresolved group decides at once; the incident acts without waiting for Slack', async () => {
    fake.outage(GROUPS, { status: 'drop' });
    try {
      const id = await open('bob-or-group');
      const status = await waitForGate(h.client, id, { timeoutMs: 60_000 });
      expect(status.gates[0]!.eligible).toEqual(['bob']);
      // Slack is still down: the gate's retry of the group is cut short, not waited for
      expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({
        applied: true,
      });
      await waitFor('the incident to resolve', async () => (await getStatus(h.client, id)).state === 'resolved', { timeoutMs: 30_000 });
      await h.client.workflow.getHandle(id).result();
      await replays(id);
    } finally {
      fake.clearOutage(GROUPS);
    }
  });

  it('a group Slack says does not exist closes the gate with the reason; the incident is denied, not failed', async () => {
    const id = await open('gone');
    const result = await h.client.workflow.getHandle(id).result();
    expect(result.state).toBe('denied');
    await replays(id);
    expect(result.gates[0]!.closed_reason).toMatch(
      /quorum unreachable.*unresolved: slack-group:S0GONE: Slack refused usergroups\.users\.list: no_such_subteam/,
    );
  });
});
