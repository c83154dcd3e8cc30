/**
 * Rounds of the floor workflows on the bench's own server, with their own worker and task queue in
 * the same process, measured at the same moments as a Tourniquet incident (see ../incident.ts).
 */
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { BenchStack } from '../stack';
import { Marks } from '../probes';
import { floorActivities } from './activities';
import { runLanes, type RoundResult, type Sample } from '../incident';
import { approveUpdate } from './workflow';
import { approverThinks } from '../think';

const WAIT_MS = 30_000;

/** The floors (./workflow.ts): the workflow each runs, and what the bench prints of its shape. */
export const FLOOR_SHAPES = {
  literal: {
    workflowType: 'floorIncident',
    shape: "issue 15's literal shape: 3 activities, Update with validator, 1 activity",
  },
  'same-work': {
    workflowType: 'floorSameWork',
    shape: "a demo incident's 7 activity tasks: snapshot, policy, request | Update | action, verify, snapshot, news",
  },
} as const;
export type FloorShape = keyof typeof FLOOR_SHAPES;

export interface FloorRunner {
  /** `count` floor workflows of `shape`, at most `concurrency` in flight */
  run(name: string, count: number, concurrency: number, shape?: FloorShape): Promise<RoundResult>;
  /**
   * Bare starts of the floor workflow, `concurrency` in flight: what an alert that opens an
   * incident costs Temporal at least. Each latency is start() called → start() returned; the
   * workflows are cancelled afterwards.
   */
  starts(name: string, count: number, concurrency: number): Promise<StartsResult>;
  stop(): Promise<void>;
}

export interface StartsResult {
  latencies: number[];
  elapsedMs: number;
  failures: string[];
}

export async function startFloor(stack: BenchStack): Promise<FloorRunner> {
  const marks = { gateOpened: new Marks(), actionStarted: new Marks() };
  const taskQueue = `bench-floor-${randomUUID()}`;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  const worker = await Worker.create({
    connection: stack.connection,
    namespace: 'default',
    taskQueue,
    workflowBundle,
    activities: floorActivities(marks),
  });
  const running = worker.run();

  const one = async (id: string, shape: FloorShape): Promise<Sample> => {
    const start = performance.now();
    const handle = await stack.client.workflow.start(FLOOR_SHAPES[shape].workflowType, {
      taskQueue,
      workflowId: id,
      args: [{ id, requester: 'alice' }],
    });
    const gateAt = await marks.gateOpened.wait(id, 'floor gate', WAIT_MS);
    await approverThinks();
    const decideAt = performance.now();
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] });
    const decidedAt = performance.now();
    const actAt = await marks.actionStarted.wait(id, 'floor action', WAIT_MS);
    await handle.result();
    marks.gateOpened.forget(id);
    marks.actionStarted.forget(id);
    return { gateMs: gateAt - start, actMs: actAt - decideAt, decideMs: decidedAt - decideAt };
  };

  const starts = async (name: string, count: number, concurrency: number): Promise<StartsResult> => {
    const latencies: number[] = [];
    const failures: string[] = [];
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    const lane = async () => {
      while (next < count && failures.length < 5) {
        const id = `floor-${name}-${process.pid}-${next++}-${randomUUID()}`;
        const start = performance.now();
        try {
          await stack.client.workflow.start('floorIncident', { taskQueue, workflowId: id, args: [{ id, requester: 'alice' }] });
          latencies.push(performance.now() - start);
          ids.push(id);
        } catch (err) {
          failures.push(`start ${id}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
    const elapsedMs = performance.now() - t0;
    await Promise.all(
      ids.map(async (id) => {
        const handle = stack.client.workflow.getHandle(id);
        await handle.cancel().catch(() => undefined);
        await handle.result().catch(() => undefined);
        marks.gateOpened.forget(id);
      }),
    );
    return { latencies, elapsedMs, failures };
  };

  return {
    starts,
    run: (name, count, concurrency, shape = 'literal') =>
      runLanes(stack, count, concurrency, (i) => one(`floor-${shape}-${name}-${process.pid}-${i}-${randomUUID()}`, shape), name),
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
