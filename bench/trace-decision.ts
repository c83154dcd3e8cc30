/**
 * `npx tsx bench/trace-decision.ts`: where approve → action goes, one decision at a time, for a demo
 * incident and for the floor on the same stack. Each decision is traced on one wall clock (the
 * server runs on this machine): decide() called, the Update's RPC sent and answered, the Update's
 * workflow task scheduled/started/completed and the action's activity scheduled/started (history
 * event times), and the moment the action's code began. TRACE_N (20) decisions each, TRACE_THINK_MS
 * (300) after the approval request, deciding with the request's gate and digest (as a Slack button).
 * Prints medians and p95 per step; never fails on figures.
 */
import { DefaultLogger, Runtime, bundleWorkflowCode, Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import type { WorkflowClientInterceptor, WorkflowHandle } from '@temporalio/client';
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decide, startIncident } from '../client';
import { floorActivities } from './floor/activities';
import { approveUpdate } from './floor/workflow';
import { Marks } from './probes';
import { startStack } from './stack';
import { freePort } from '../test/support/ports';

const METRICS = `127.0.0.1:${await freePort()}`;
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { metrics: { prometheus: { bindAddress: METRICS } } } });

/** Means of the SDK core's latency histograms (sum/count) by label set, for the worker-side split. */
async function coreMeans(): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`http://${METRICS}/metrics`)).text();
  const out = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const m =
      /^temporal_(request_latency|workflow_activation_execution_latency|workflow_task_execution_latency|workflow_task_replay_latency|activity_schedule_to_start_latency|workflow_task_schedule_to_start_latency)_(sum|count)\{([^}]*)\}\s+([0-9.e+-]+)$/.exec(
        line,
      );
    if (!m) continue;
    const labels = m[3]!
      .split(',')
      .filter((l) => /^(operation|workflow_type|task_queue)=/.test(l))
      .map((l) => l.replace(/task_queue="(trace-floor|bench)-[^"]*"/, 'tq="$1"'))
      .join(',');
    if (m[1] === 'request_latency' && !/RespondWorkflowTaskCompleted|UpdateWorkflow|PollWorkflow|PollActivity/.test(labels)) continue;
    const key = `${m[1]} ${labels}`;
    const e = out.get(key) ?? { sum: 0, count: 0 };
    e[m[2] as 'sum' | 'count'] += Number(m[4]);
    out.set(key, e);
  }
  return out;
}
const EventType = proto.temporal.api.enums.v1.EventType;
const N = Number(process.env.TRACE_N ?? 20);
const THINK_MS = Number(process.env.TRACE_THINK_MS ?? 300);

const wall = (perfT: number) => performance.timeOrigin + perfT;
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;

/** The client's Update RPC: sent and answered, wall ms. */
const rpc = { sent: 0, answered: 0 };
const stamping: WorkflowClientInterceptor = {
  async startUpdate(input, next) {
    rpc.sent = Date.now();
    const out = await next(input);
    rpc.answered = Date.now();
    return out;
  },
};

type Trace = Record<string, number>;

/** History times of the first workflow task after `t0`, the Update's events and the action's activity. */
async function historyTimes(handle: WorkflowHandle, t0: number, actType: string): Promise<Trace> {
  const events = (await handle.fetchHistory()).events ?? [];
  const out: Trace = {};
  const firstAfter = (type: number, key: string) => {
    const e = events.find((ev) => ev.eventType === type && ms(ev.eventTime) >= t0);
    if (e) out[key] = ms(e.eventTime) - t0;
  };
  firstAfter(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 'wftScheduled');
  firstAfter(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'wftStarted');
  firstAfter(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'wftCompleted');
  firstAfter(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 'updAccepted');
  const sched = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === actType && ms(e.eventTime) >= t0);
  if (sched) {
    out.actScheduled = ms(sched.eventTime) - t0;
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === sched.eventId?.toString());
    if (started) out.actStartedEv = ms(started.eventTime) - t0;
  }
  out.events = events.length;
  return out;
}

/** Per-decision spans (medians of differences are steadier than differences of medians). */
function withSpans(t: Trace): Trace {
  const span = (a: string, b: string) => (t[a] !== undefined && t[b] !== undefined ? { [`${b}-${a}`]: t[b]! - t[a]! } : {});
  return { ...t, ...span('wftStarted', 'wftCompleted'), ...span('wftCompleted', 'rpcAnswered'), ...span('wftCompleted', 'actCode') };
}

function report(label: string, traces: Trace[]): void {
  traces = traces.map(withSpans);
  const keys = [...new Set(traces.flatMap((t) => Object.keys(t)))];
  console.log(`${label} (n=${traces.length}), ms after decide() was called: p50 / p95`);
  for (const k of keys) {
    const v = traces
      .map((t) => t[k])
      .filter((x): x is number => x !== undefined && !Number.isNaN(x))
      .sort((a, b) => a - b);
    if (!v.length) continue;
    const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))]!.toFixed(1);
    console.log(`  ${k.padEnd(26)} ${q(0.5).padStart(7)} / ${q(0.95).padStart(7)}`);
  }
}

const stack = await startStack(() => {});
const client = new Client({ connection: stack.connection, namespace: 'default', interceptors: { workflow: [stamping] } });
const marks = { gateOpened: new Marks(), actionStarted: new Marks() };
const floorQueue = `trace-floor-${randomUUID()}`;
const floorWorker = await Worker.create({
  connection: stack.connection,
  namespace: 'default',
  taskQueue: floorQueue,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./floor/workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  }),
  activities: floorActivities(marks),
});
const floorRunning = floorWorker.run();

async function ours(i: number): Promise<Trace> {
  const { taskQueue, notifier, world } = stack;
  const service = `trace-${i}`;
  const id = await startIncident(client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue, eager: true });
  await notifier.gateOpened.wait(id, 'gate', 30_000);
  await sleep(THINK_MS);
  world.arm(service);
  const t0 = Date.now();
  const outcome = await decide(client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'bench', ...notifier.shown.get(id) });
  const returned = Date.now();
  if (!outcome.applied) throw new Error(`not applied: ${outcome.code}`);
  const act = wall(await world.actionStarted.wait(service, 'action', 30_000));
  const handle = client.workflow.getHandle(id);
  await handle.result();
  return traceOf(handle, 'demoQuarantine', { t0, returned, act });
}

async function floor(i: number): Promise<Trace> {
  const id = `trace-floor-${i}-${randomUUID()}`;
  const handle = await client.workflow.start('floorIncident', {
    taskQueue: floorQueue,
    workflowId: id,
    args: [{ id, requester: 'alice' }],
  });
  await marks.gateOpened.wait(id, 'floor gate', 30_000);
  await sleep(THINK_MS);
  const t0 = Date.now();
  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] });
  const returned = Date.now();
  const act = wall(await marks.actionStarted.wait(id, 'floor action', 30_000));
  await handle.result();
  return traceOf(handle, 'act', { t0, returned, act });
}

/** One decision's times from its call (t0): the RPC, the history's events, decide()'s return, the action's code. */
async function traceOf(
  handle: Parameters<typeof historyTimes>[0],
  activity: string,
  at: { t0: number; returned: number; act: number },
): Promise<Trace> {
  return {
    rpcSent: rpc.sent - at.t0,
    ...(await historyTimes(handle, at.t0, activity)),
    rpcAnswered: rpc.answered - at.t0,
    decideReturned: at.returned - at.t0,
    actCode: at.act - at.t0,
  };
}

try {
  for (let i = 0; i < 3; i++) {
    // warm-up
    await ours(-1 - i);
    await floor(-1 - i);
  }
  const a: Trace[] = [];
  const b: Trace[] = [];
  for (let i = 0; i < N; i++) {
    a.push(await ours(i));
    b.push(await floor(i));
  }
  if (process.env.TRACE_RAW === '1') for (const t of a) console.log(JSON.stringify(t));
  report('Tourniquet', a);
  report('floor', b);
  if (process.env.TRACE_METRICS === '1')
    for (const [k, v] of [...(await coreMeans())].sort())
      console.log(`  ${k}: n=${v.count} mean ${(v.sum / Math.max(1, v.count)).toFixed(1)} ms`);
} finally {
  floorWorker.shutdown();
  await floorRunning;
  await stack.stop();
}
