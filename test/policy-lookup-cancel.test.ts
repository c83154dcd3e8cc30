/**
 * An approval engine's workflow task must never fail for nondeterminism. Cancelling the policy
 * lookup (a local activity) while it is in flight does so at random: if its result has reached the
 * SDK's core but not yet the workflow code, the cancel fails the task with "Invalid transition in
 * state machine" (seen under load: a Temporal cancel arriving during the gate's lookup, after a
 * workflow task heartbeat). So the incident never cancels a local lookup: a cancelled incident waits
 * for it, and the open gate's background retries, which a decision does cut short, are normal
 * activities. Each lookup here is held open while the cancel happens, so the cancel always meets it
 * in flight; the race itself is timing, the cancel it needs is not.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../activities';
import { decide, getStatus, getTimeline, INCIDENT_WORKFLOW, startIncident, validateIncidentRequest } from '../client';
import { prepareIncidentRequest } from '../redaction';
import type { PolicyRequest, ResolvedPolicy } from '../workflows';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

const EventType = temporal.api.enums.v1.EventType;

/** A lookup held until the test lets it answer. */
class HeldLookup {
  started = 0;
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));
  async hold(): Promise<void> {
    this.started += 1;
    await this.released;
  }
  let(): void {
    this.release();
  }
}

/** What a lookup of this incident does instead of answering at once (keyed by incident id). */
type Plan = (call: number) => { hold?: HeldLookup; unresolvedGroup?: string };
const plans = new Map<string, Plan>();
const calls = new Map<string, number>();

let h: Harness;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  const activities = createActivities(h.deps);
  connection = await NativeConnection.connect({ address: h.address });
  worker = await Worker.create({
    connection,
    taskQueue: h.taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      ...activities,
      async resolveApprovalPolicy(req: PolicyRequest): Promise<ResolvedPolicy> {
        const call = (calls.get(req.incidentId) ?? 0) + 1;
        calls.set(req.incidentId, call);
        const plan = plans.get(req.incidentId)?.(call) ?? {};
        await plan.hold?.hold();
        const resolved = await activities.resolveApprovalPolicy(req);
        // Slack down with no membership known: the gate opens closed to the group and keeps asking
        if (plan.unresolvedGroup)
          return { ...resolved, unresolved: [{ ref: plan.unresolvedGroup, reason: 'Slack unreachable', retry: true }] };
        return resolved;
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await h?.stop();
});

async function historyOf(client: Client, id: string) {
  return (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
}

/** Local activity markers recorded as cancelled: each one a cancel that could have failed its workflow task. */
function cancelledLookups(events: Awaited<ReturnType<typeof historyOf>>) {
  return events.filter(
    (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && e.markerRecordedEventAttributes.failure,
  );
}

const nondeterminismFailures = (events: Awaited<ReturnType<typeof historyOf>>) =>
  events.filter(
    (e) =>
      e.workflowTaskFailedEventAttributes?.cause ===
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
  );

async function replays(id: string): Promise<void> {
  const history = await h.client.workflow.getHandle(id).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, id);
}

describe('the policy lookup is never cancelled in flight', () => {
  it("Temporal's cancel during the gate's lookup: the incident waits for the lookup, then ends cancelled", async () => {
    const held = new HeldLookup();
    const id = `lookup-cancel-${process.pid}-${Date.now()}`;
    plans.set(id, () => ({ hold: held }));
    const request = validateIncidentRequest(
      await prepareIncidentRequest({ requester: 'alice', playbook: 'demo', params: { service: 'lookup-cancel' } }),
    );
    // A short workflow task timeout: the held lookup makes the worker heartbeat the task, which is
    // how the cancel reaches the workflow code while the lookup is still in flight.
    const handle = await h.client.workflow.start(INCIDENT_WORKFLOW, {
      workflowId: id,
      taskQueue: h.taskQueue,
      args: [request],
      workflowTaskTimeout: '2s',
    });
    await waitFor('the lookup in flight', () => held.started > 0, { timeoutMs: 60_000 });
    await handle.cancel();
    await waitFor(
      'the workflow code to have taken the cancel',
      async () => {
        const types = (await historyOf(h.client, id)).map((e) => e.eventType);
        const asked = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
        return asked >= 0 && types.slice(asked).includes(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      },
      { timeoutMs: 60_000 },
    );
    held.let();
    await expect(handle.result()).rejects.toThrow(/cancel/i);

    const events = await historyOf(h.client, id);
    expect(cancelledLookups(events)).toEqual([]);
    expect(nondeterminismFailures(events)).toEqual([]);
    const status = await getStatus(h.client, id);
    expect(status.state).toBe('cancelled');
    // stopped where the cut-short lookup used to stop it: no gate was opened
    expect(status.gates).toEqual([]);
    await replays(id);
  });

  it("a decision while the gate's background retry is in flight: the retry is cut short, the incident acts at once", async () => {
    const held = new HeldLookup();
    const id = `lookup-retry-${process.pid}-${Date.now()}`;
    plans.set(id, (call) => (call === 1 ? { unresolvedGroup: 'slack-group:S0PENDING' } : { hold: held }));
    await startIncident(
      h.client,
      { requester: 'alice', playbook: 'demo', params: { service: 'lookup-retry' } },
      { taskQueue: h.taskQueue, incidentId: id },
    );
    await waitForGate(h.client, id, { timeoutMs: 60_000 });
    // The gate asks again 30 s after it opened.
    await waitFor('the background retry in flight', () => held.started > 0, { timeoutMs: 90_000 });
    try {
      // answered and acted on while the retry is still in flight (a local retry held the task, and the decision, meanwhile)
      expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' })).toMatchObject({
        applied: true,
      });
      await waitFor('the incident to resolve', async () => (await getStatus(h.client, id)).state === 'resolved', { timeoutMs: 60_000 });
      await h.client.workflow.getHandle(id).result();
    } finally {
      held.let();
    }

    const events = await historyOf(h.client, id);
    expect(cancelledLookups(events)).toEqual([]);
    expect(nondeterminismFailures(events)).toEqual([]);
    expect(events.filter((e) => e.activityTaskCancelRequestedEventAttributes)).toHaveLength(1);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.some((e) => e.kind === 'action.completed')).toBe(true);
    // the retry was stopped, not failed: the timeline does not say the approvers are still unresolved
    expect(timeline.filter((e) => e.summary.includes('still unresolved'))).toEqual([]);
    await replays(id);
  });
});
