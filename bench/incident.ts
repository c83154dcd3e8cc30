/**
 * One measured demo incident, start to finish: start it, wait for its gate to open, approve,
 * wait for the destructive activity to begin, then wait for the workflow to complete so the next
 * incident (sequential round) finds a quiet machine.
 */
import { performance } from 'node:perf_hooks';
import { decide, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import type { BenchStack } from './stack';
import { approverThinks } from './think';

export interface Sample {
  /** startIncident() called → `approval.requested` received by the notifier */
  gateMs: number;
  /** decide(approve) called → demoQuarantine read its service */
  actMs: number;
  /** decide() called → decide() returned (the gate lookup, then the Update's round trip) */
  decideMs: number;
  /** startIncident() called → gate opened inside the workflow (workflow task time, ms resolution) */
  wfGateMs?: number;
  /** decide() called → action_started_at inside the workflow */
  wfActMs?: number;
  /** whether this incident's start asked to be eager (BENCH_EAGER_START=alternate reports them apart) */
  eager?: boolean;
}

const WAIT_MS = 30_000;

function since(iso: string | undefined, wallStart: number): number | undefined {
  return iso ? Date.parse(iso) - wallStart : undefined;
}

export async function runIncident(stack: BenchStack, service: string, i = 0): Promise<Sample> {
  const { client, taskQueue, notifier, world } = stack;
  const eager = stack.eagerStart === 'alternate' ? i % 2 === 0 : stack.eagerStart;

  const startWall = Date.now();
  const startAt = performance.now();
  const id = await startIncident(client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue, eager });
  const gateAt = await notifier.gateOpened.wait(id, 'approval.requested notification', WAIT_MS);

  await approverThinks();
  world.arm(service);
  const decideWall = Date.now();
  const decideAt = performance.now();
  // BENCH_DECIDE=notified: decide on the gate the approval request showed, as a Slack button does
  // (no lookup); by default as the CLI does, which first looks up the open gate (the incident's memo).
  const shown = process.env.BENCH_DECIDE === 'notified' ? notifier.shown.get(id) : undefined;
  const outcome = await decide(client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'bench', ...shown });
  const decidedAt = performance.now();
  if (!outcome.applied) throw new Error(`approval of ${id} was not applied: ${outcome.code}: ${outcome.message}`);
  const actAt = await world.actionStarted.wait(service, 'demoQuarantine start', WAIT_MS);

  const final: IncidentStatus = await client.workflow.getHandle(id).result();
  if (final.state !== 'resolved') throw new Error(`incident ${id} ended ${final.state}: ${final.outcome ?? ''}`);
  notifier.gateOpened.forget(id);
  notifier.shown.delete(id);
  world.actionStarted.forget(service);

  const sample: Sample = { gateMs: gateAt - startAt, actMs: actAt - decideAt, decideMs: decidedAt - decideAt, eager };
  const wfGateMs = since(final.clock.approval_requested_at, startWall);
  const wfActMs = since(final.clock.action_started_at, decideWall);
  if (wfGateMs !== undefined) sample.wfGateMs = wfGateMs;
  if (wfActMs !== undefined) sample.wfActMs = wfActMs;
  return sample;
}

export interface RoundResult {
  samples: Sample[];
  failures: string[];
  elapsedMs: number;
  /** CPU seconds used during the round by this process (client + worker) and by the dev server */
  cpu: { worker: number; server?: number };
  /** workflow starts through the bench's client during the round, and how many were eager */
  starts?: { total: number; eager: number };
}

/** `count` incidents with at most `concurrency` in flight; failures are collected, not thrown. */
export function runRound(stack: BenchStack, name: string, count: number, concurrency: number): Promise<RoundResult> {
  return runLanes(stack, count, concurrency, (i) => runIncident(stack, `bench-${name}-${process.pid}-${i}`, i), name);
}

/** `count` runs of `one` with at most `concurrency` in flight, timed, with the CPU they used. */
export async function runLanes(
  stack: BenchStack,
  count: number,
  concurrency: number,
  one: (i: number) => Promise<Sample>,
  name: string,
): Promise<RoundResult> {
  const samples: Sample[] = [];
  const failures: string[] = [];
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const server0 = stack.serverStats()?.cpuS;
  const starts0 = { ...stack.starts };
  const lane = async () => {
    while (next < count && failures.length < 5) {
      const i = next++;
      try {
        samples.push(await one(i));
      } catch (err) {
        failures.push(`${name} #${i}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  const elapsedMs = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  const server1 = stack.serverStats()?.cpuS;
  const cpu: RoundResult['cpu'] = { worker: (used.user + used.system) / 1e6 };
  if (server0 !== undefined && server1 !== undefined) cpu.server = server1 - server0;
  const starts = { total: stack.starts.total - starts0.total, eager: stack.starts.eager - starts0.eager };
  return { samples, failures, elapsedMs, cpu, starts };
}
