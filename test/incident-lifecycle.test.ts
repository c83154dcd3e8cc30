import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, listIncidents, startIncident, IncidentRequestError } from '../client';
import { verifyEvidence } from '../activities/evidence';
import type { IncidentStatus } from '../workflows';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';
import { DEMO_NOTICES } from './support/demo';
import { BASELINE_3_PATCH, ENGINE_MEMO } from '../workflows/patches';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

let serviceSeq = 0;
async function startDemo(extra: { requester?: string; policy?: string; mode?: 'live' | 'drill'; params?: Record<string, unknown> } = {}) {
  const service = `svc-${process.pid}-${++serviceSeq}`;
  const id = await startIncident(
    h.client,
    {
      playbook: 'demo',
      requester: extra.requester ?? 'alice',
      params: { service, ...extra.params },
      mode: extra.mode ?? 'live',
      ...(extra.policy ? { policy: extra.policy } : {}),
      alerts: [{ source: 'test', title: 'suspicious process', detectedAt: new Date(Date.now() - 60_000).toISOString() }],
    },
    { taskQueue: h.taskQueue },
  );
  const status = await waitForGate(h.client, id);
  return { id, service, status };
}

function result(id: string): Promise<IncidentStatus> {
  return h.client.workflow.getHandle(id).result();
}

describe('an incident from start to resolution', () => {
  it('collects evidence, waits for approval, acts once, verifies, and records the containment clock', async () => {
    const { id, service, status } = await startDemo();
    const gate = status.gates[0]!;
    expect(gate).toMatchObject({
      id: 'g1',
      status: 'open',
      action: 'demoQuarantine',
      target: `service/${service}`,
      quorum: 1,
      requester: 'alice',
    });
    expect(gate.eligible).toEqual(['alice', 'bob', 'carol']);
    expect(status.evidence.map((e) => e.name)).toEqual(['service snapshot (before)', `approvers: Quarantine service ${service}`]);
    const approverSet = JSON.parse((await h.deps.store.get(status.evidence[1]!.uri)).toString());
    expect(approverSet).toMatchObject({
      policy: 'standard',
      references: ['alice', 'bob', 'carol'],
      eligible: ['alice', 'bob', 'carol'],
      quorum: 1,
    });
    expect(await h.world.actions()).not.toContainEqual(expect.objectContaining({ incidentId: id }));

    const outcome = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect(outcome).toMatchObject({ applied: true, result: { status: 'approved', approvalsRemaining: 0 } });

    const final = await result(id);
    expect(final.state).toBe('resolved');
    expect((await h.world.read(service)).quarantined).toBe(true);
    expect((await h.world.actions()).filter((a) => a.incidentId === id)).toHaveLength(1);

    const { clock } = final;
    for (const mark of [
      'detected_at',
      'received_at',
      'approval_requested_at',
      'decided_at',
      'action_started_at',
      'contained_at',
      'resolved_at',
    ] as const) {
      expect(clock[mark], mark).toBeDefined();
    }
    expect(Date.parse(clock.contained_at!)).toBeGreaterThanOrEqual(Date.parse(clock.action_started_at!));
    expect(clock.durations.time_to_contain_ms).toBeGreaterThanOrEqual(60_000);
    expect(clock.durations.time_to_approve_ms).toBe(Date.parse(clock.decided_at!) - Date.parse(clock.received_at!));

    const kinds = (await getTimeline(h.client, id)).map((e) => e.kind);
    expect(kinds).toEqual([
      'alert.received',
      'incident.started',
      'evidence.recorded',
      'evidence.recorded',
      'approval.requested',
      'approval.vote',
      'approval.closed',
      'action.started',
      'action.completed',
      'verify.passed',
      'incident.contained',
      'evidence.recorded',
      'incident.finished',
    ]);
    const kindsNotified = h.notifier.of(id).map((e) => e.kind);
    expect(kindsNotified).toEqual(expect.arrayContaining(DEMO_NOTICES));
  });

  it('keeps secrets out of evidence and detects a tampered artifact', async () => {
    const { id } = await startDemo();
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    const final = await result(id);
    expect(final.evidence.map((e) => e.name)).toEqual([
      'service snapshot (before)',
      expect.stringMatching(/^approvers: /),
      'service snapshot (after)',
    ]);

    const artifact = (await h.deps.store.get(final.evidence[0]!.uri)).toString('utf8');
    expect(artifact).not.toMatch(/ghp_[A-Za-z0-9]{36}/);
    expect(artifact).toMatch(/\[REDACTED:github-token sha256:[0-9a-f]{12} last4:[A-Za-z0-9]{4}\]/);
    expect(final.evidence[0]!.redactions).toBeGreaterThanOrEqual(2);

    expect((await verifyEvidence(h.deps.store, final.evidence)).ok).toBe(true);

    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const [, dir, file] = /^evidence:\/\/([^/]+)\/(.+)$/.exec(final.evidence[2]!.uri)!;
    await writeFile(join(h.dir, 'evidence', dir!, file!), artifact.replace('quarantined', 'QUARANTINED'));
    const tampered = await verifyEvidence(h.deps.store, final.evidence);
    expect(tampered.ok).toBe(false);
    expect(tampered.entries.map((e) => e.ok)).toEqual([true, true, false]);
    expect(tampered.entries[2]!.problems.join()).toMatch(/artifact hashes to/);

    const forgedChain = final.evidence.map((e, i) => (i === 0 ? { ...e, size: e.size + 1 } : e));
    const broken = await verifyEvidence(h.deps.store, forgedChain);
    expect(broken.entries[0]!.problems).toContain('entry_hash does not match the entry');
  });
});

describe('the approval gate refuses', () => {
  it('self-approval, an ineligible approver, a second vote, and a decision for another action — before history, and on the timeline', async () => {
    const { id, status } = await startDemo({ policy: 'two-person' });
    const gate = status.gates[0]!;

    const self = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'test', reason: 'mine' });
    expect(self).toMatchObject({ applied: false, code: 'SelfApproval' });
    expect(self.applied === false && self.message).toMatch(/alice requested this incident and cannot approve their own request/);

    const stranger = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'mallory', via: 'test', reason: 'trust me' });
    expect(stranger).toMatchObject({ applied: false, code: 'ApproverNotEligible' });

    const wrongDigest = await decide(h.client, {
      incidentId: id,
      gateId: gate.id,
      digest: 'f'.repeat(64),
      decision: 'approve',
      approver: 'bob',
      via: 'test',
      reason: 'ok',
    });
    expect(wrongDigest).toMatchObject({ applied: false, code: 'DigestMismatch' });

    const noReason = await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test' });
    expect(noReason).toMatchObject({ applied: false, code: 'ReasonRequired' });

    const first = await decide(h.client, {
      incidentId: id,
      decision: 'approve',
      approver: 'bob',
      via: 'test',
      reason: 'seen the evidence',
    });
    expect(first).toMatchObject({ applied: true, result: { status: 'open', approvalsRemaining: 1 } });
    const again = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', reason: 'again' });
    expect(again).toMatchObject({ applied: false, code: 'AlreadyVoted' });

    // Refused decisions never reached history as updates: only the accepted one did.
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1);

    const refusals = await waitFor('five refusals on the timeline', async () => {
      const r = (await getTimeline(h.client, id)).filter((e) => e.kind === 'approval.refused');
      return r.length === 5 ? r : undefined;
    });
    expect(refusals.map((r) => [r.actor, r.details?.code])).toEqual([
      ['alice', 'SelfApproval'],
      ['mallory', 'ApproverNotEligible'],
      ['bob', 'DigestMismatch'],
      ['carol', 'ReasonRequired'],
      ['bob', 'AlreadyVoted'],
    ]);

    const second = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test', reason: 'agreed' });
    expect(second).toMatchObject({ applied: true, result: { status: 'approved', approvalsRemaining: 0 } });
    const final = await result(id);
    expect(final.state).toBe('resolved');
    expect(final.gates[0]!.votes.map((v) => v.approver)).toEqual(['bob', 'dana']);
  });

  it('a decision on a closed gate', async () => {
    const { id } = await startDemo();
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    await result(id);
    const late = await decide(h.client, { incidentId: id, gateId: 'g1', decision: 'approve', approver: 'carol', via: 'test' });
    // The worker still answers the status query of an ended incident: gate g1 is found, approved.
    expect(late).toEqual({ applied: false, code: 'GateClosed', message: `gate g1 of incident ${id} is already approved` });
  });
});

describe('an incident that does not act', () => {
  it('ends denied, with nothing done, when an approver denies', async () => {
    const { id, service } = await startDemo();
    const outcome = await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test', reason: 'false positive' });
    expect(outcome).toMatchObject({ applied: true, result: { status: 'denied' } });
    const final = await result(id);
    expect(final.state).toBe('denied');
    expect(final.outcome).toMatch(/denied by carol: false positive/);
    expect((await h.world.read(service)).quarantined).toBe(false);
    expect(final.clock.action_started_at).toBeUndefined();
  });

  it('is denied at once when the quorum cannot be met without the requester', async () => {
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', policy: 'lonely', params: { service: `svc-lonely-${process.pid}` } },
      { taskQueue: h.taskQueue },
    );
    const final = await result(id);
    expect(final.state).toBe('denied');
    expect(final.gates[0]!.closed_reason).toMatch(/quorum unreachable/);
  });

  it('runs in drill mode without changing anything, and still asks for approval', async () => {
    const { id, service, status } = await startDemo({ mode: 'drill' });
    expect(status.mode).toBe('drill');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final = await result(id);
    expect(final.state).toBe('resolved');
    expect(final.clock.contained_at).toBeDefined();
    expect((await h.world.read(service)).quarantined).toBe(false);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'action.completed')?.summary).toMatch(/^DRILL: would quarantine/);
  });

  it('fails, and runs its compensation behind a fresh approval, when verification fails', async () => {
    const { id, service } = await startDemo({ params: { simulateVerifyFailure: true } });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const releaseGate = await waitFor('the compensation gate', async () => {
      const s = await getStatus(h.client, id);
      return s.gates.find((g) => g.id === 'g2' && g.status === 'open');
    });
    expect(releaseGate.action).toBe('demoRelease');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    await expect(result(id)).rejects.toThrow(WorkflowFailedError);
    const s = await getStatus(h.client, id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toMatch(/simulated verification failure/);
    expect((await h.world.read(service)).quarantined).toBe(false);
    const kinds = (await getTimeline(h.client, id)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['verify.failed', 'compensation.started', 'compensation.completed']));
  });
});

describe('requests', () => {
  it('are refused before anything starts when malformed', async () => {
    await expect(startIncident(h.client, { playbook: 'nope', requester: 'alice' }, { taskQueue: h.taskQueue })).rejects.toThrow(
      /unknown playbook "nope"/,
    );
    await expect(
      startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service: 'Bad Name!' } }, { taskQueue: h.taskQueue }),
    ).rejects.toThrow(IncidentRequestError);
    await expect(startIncident(h.client, { playbook: 'demo', requester: '' }, { taskQueue: h.taskQueue })).rejects.toThrow(/requester/);
  });

  it('started by another client, without the declared baseline, take the marked one and write their own memo', async () => {
    const id = `raw-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const handle = await h.client.workflow.start('incidentWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: id,
      args: [{ playbook: 'demo', requester: 'alice', params: { service: 'raw-start' } }],
    });
    await waitForGate(h.client, id);
    const events = (await handle.fetchHistory()).events ?? [];
    const decode = (p: { data?: Uint8Array | null }) => JSON.parse(Buffer.from(p.data!).toString());
    const patches = events.flatMap((e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_patch'
        ? [decode(e.markerRecordedEventAttributes.details!['patch-data']!.payloads![0]!).id]
        : [],
    );
    expect(patches).toEqual([BASELINE_3_PATCH]);
    const memo = (await handle.describe()).memo;
    expect(memo).toMatchObject({ playbook: 'demo', requester: 'alice', state: 'awaiting-approval' });
    expect(memo).not.toHaveProperty(ENGINE_MEMO);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
    await result(id);
  });

  it('keep short stacks in the sandbox, which still say where a waiting incident waits', async () => {
    const { id } = await startDemo();
    await waitForGate(h.client, id);
    // what the Temporal UI's call stack shows: one stack per pending promise, blank-line separated
    const stacks = (await h.client.workflow.getHandle(id).query<string>('__stack_trace')).split(/\n\s*\n/).filter((s) => s.trim());
    expect(stacks.join('\n')).toMatch(/waitForDecision \(.*workflows\/approval-wait\.ts:\d+/);
    // each captured with at most 3 frames (workflows/sandbox-stacks.ts) ...
    for (const stack of stacks) expect(stack.split('\n').filter((l) => /^\s+at /.test(l)).length).toBeLessThanOrEqual(3);
    // ... while this process, the worker's too, keeps its full stacks
    expect(Error.stackTraceLimit).toBeGreaterThan(3);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
    await result(id);
  });

  it('repeat alerts join the open incident and are counted, not started again', async () => {
    const { id } = await startDemo();
    const { alertsSignal } = await import('../workflows');
    const handle = h.client.workflow.getHandle(id);
    await handle.signal(alertsSignal, {
      count: 250,
      sample: [{ source: 'falco', title: 'again' }],
      firstSeen: '2026-01-01T00:00:00Z',
      lastSeen: '2026-01-01T00:05:00Z',
    });
    await handle.signal(alertsSignal, { count: 3, sample: [] });
    const s = await waitFor('the alerts counted', async () => {
      const st = await getStatus(h.client, id);
      return st.alerts.total === 254 ? st : undefined;
    });
    expect(s.alerts).toMatchObject({ total: 254, batches: 3 });
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'cleanup' });
    await result(id);
  });
});

describe('what an incident writes to history (issue 15)', () => {
  it('lists its state while it runs, writes its memo only when its open gate changes and when it ends, takes no local activity, and its notices ride the steps', async () => {
    // Not startDemo: it waits for the gate with status queries; the list (visibility) does not ask the workflow.
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: `svc-${process.pid}-history` } },
      { taskQueue: h.taskQueue },
    );
    // the state lives in the search attribute while the incident runs
    const listed = await waitFor('the incident awaiting approval in the list', async () =>
      (await listIncidents(h.client, { limit: 200 })).find((r) => r.id === id && r.state === 'awaiting-approval'),
    );
    expect(listed).toMatchObject({ playbook: 'demo', requester: 'alice', title: expect.stringContaining('Demo') });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    await result(id);

    const handle = h.client.workflow.getHandle(id);
    const events = (await handle.fetchHistory()).events ?? [];
    // the first memo came with the start (startIncident); the workflow writes it when the open gate
    // changes (opened, then closed: decide() reads it there) and when the run ends
    const memoWrites = events.flatMap((e) =>
      e.workflowPropertiesModifiedEventAttributes
        ? [Object.keys(e.workflowPropertiesModifiedEventAttributes.upsertedMemo?.fields ?? {}).sort()]
        : [],
    );
    expect(memoWrites).toEqual([
      ['gate', 'state'],
      ['gate', 'state'],
      ['gate', 'state'],
    ]);
    // One search-attribute upsert per state change, none repeating a state, and nothing else: no
    // patch marker and so no upsert of its own, since the start's memo declares the engine baseline,
    // which stands for every patch a new run takes and the local activities it does not take
    // (workflows/patches.ts ENGINE_MEMO).
    const decode = (p: { data?: Uint8Array | null }) => JSON.parse(Buffer.from(p.data!).toString());
    const upserts = events.flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      return fields ? [fields] : [];
    });
    // `acting` is indexed only once the action has run a while (workflows/incident.ts
    // ACTING_LATE_PATCH): the demo's action is usually done before, and the index goes straight past
    // it; on a loaded machine the action may take longer than that.
    const states = upserts.filter((f) => f.TourniquetState).map((f) => decode(f.TourniquetState!));
    const actingIndexed = states.includes('acting') ? 1 : 0;
    expect(states.filter((s) => s !== 'acting')).toEqual(['awaiting-approval', 'open', 'contained', 'resolved']);
    if (actingIndexed) expect(states.indexOf('acting')).toBe(1);
    const patches = events.flatMap((e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_patch'
        ? [decode(e.markerRecordedEventAttributes.details!['patch-data']!.payloads![0]!).id]
        : [],
    );
    expect(patches).toEqual([]);
    expect(upserts.length).toBe(4 + actingIndexed);
    const memo = (await handle.describe()).memo;
    expect(memo?.state).toBe('resolved');
    expect(memo?.gate ?? null).toBeNull(); // no open gate left to decide on

    // Activity tasks only (patches.ts NO_LOCAL_ACTIVITIES_PATCH: a local activity's result can reach
    // the workflow in a grouping replay does not reproduce): the evidence, the policy lookup, the
    // approval request, the action, the plain verification and the run's last news.
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).toEqual([
      'demoSnapshot',
      'resolveApprovalPolicy',
      'notifyBatch',
      'demoQuarantine',
      'demoCheckQuarantined',
      'demoSnapshot',
      'notifyBatch',
    ]);
    const tasks: { scheduled: string[]; local: number; timers: number }[] = [];
    for (const e of events) {
      if (e.workflowTaskCompletedEventAttributes) tasks.push({ scheduled: [], local: 0, timers: 0 });
      else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') tasks.at(-1)!.local += 1;
      else if (e.activityTaskScheduledEventAttributes)
        tasks.at(-1)!.scheduled.push(e.activityTaskScheduledEventAttributes.activityType!.name!);
      else if (e.timerStartedEventAttributes) tasks.at(-1)!.timers += 1;
    }
    expect(tasks.reduce((n, t) => n + t.local, 0)).toBe(0);
    // the task that opens the gate starts its deadline and sends its request; the approval's
    // schedules the action and the timer that would index it as acting (incident.ts ACTING_LATE_PATCH)
    expect(tasks.filter((t) => t.timers > 0)).toEqual([
      { scheduled: ['notifyBatch'], local: 0, timers: 1 },
      { scheduled: ['demoQuarantine'], local: 0, timers: 1 },
    ]);
    // six notices: the started notice rides the first snapshot, the approval request and the last
    // news go in notifyBatches of their own, the approval's closing and the action's start ride the
    // action, containment rides the last snapshot
    expect(h.notifier.of(id).map((e) => e.kind)).toEqual(DEMO_NOTICES);
  });
});
