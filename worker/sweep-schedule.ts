/**
 * The break-glass sweep runs inside Tourniquet: a Temporal Schedule, created or updated by every
 * worker at start-up, starts breakGlassSweepWorkflow (workflows/grant-sweep.ts) on the worker's task
 * queue every TOURNIQUET_BREAKGLASS_SWEEP. Before it, an operator had to run `tourniquet breakglass
 * sweep` from a CronJob. Schedule ids are unique in a namespace, so however many workers start, there
 * is one schedule per task queue; `temporal schedule list` shows it.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Logger } from 'pino';

export const SWEEP_WORKFLOW = 'breakGlassSweepWorkflow';

/** `tourniquet-breakglass-sweep` for the default task queue. */
export function sweepScheduleId(taskQueue: string): string {
  return `${taskQueue}-breakglass-sweep`;
}

export type SweepScheduleChange = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

function scheduleOptions(taskQueue: string, everyMs: number): ScheduleOptions {
  const scheduleId = sweepScheduleId(taskQueue);
  return {
    scheduleId,
    spec: { intervals: [{ every: everyMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: SWEEP_WORKFLOW,
      taskQueue,
      workflowId: scheduleId,
      args: [],
      workflowExecutionTimeout: '10 minutes',
    },
    // A sweep still running (a slow API server) is not doubled; runs missed while Temporal was down collapse into one.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  };
}

function matches(current: ScheduleDescription, wanted: ScheduleOptions): boolean {
  const every = current.spec.intervals?.map((i) => i.every);
  const action = current.action;
  return (
    every?.length === 1 &&
    every[0] === (wanted.spec.intervals![0]!.every as number) &&
    action.type === 'startWorkflow' &&
    action.workflowType === SWEEP_WORKFLOW &&
    action.taskQueue === (wanted.action as { taskQueue: string }).taskQueue &&
    current.policies.overlap === ScheduleOverlapPolicy.SKIP
  );
}

/**
 * Makes the schedule what this worker's configuration says, idempotently: creates it, updates an
 * interval that changed, or removes it when the sweep is off (`everyMs` undefined).
 */
export async function ensureSweepSchedule(client: Client, taskQueue: string, everyMs: number | undefined): Promise<SweepScheduleChange> {
  const handle = client.schedule.getHandle(sweepScheduleId(taskQueue));
  let current: ScheduleDescription | undefined;
  try {
    current = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (everyMs === undefined) {
    if (!current) return 'absent';
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return 'removed';
  }
  const wanted = scheduleOptions(taskQueue, everyMs);
  if (!current) {
    try {
      await client.schedule.create(wanted);
      return 'created';
    } catch (err) {
      // Another worker created it between our describe and create: make it ours below.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      current = await handle.describe();
    }
  }
  if (matches(current, wanted)) return 'unchanged';
  await handle.update((previous) => ({
    ...previous,
    spec: wanted.spec,
    action: wanted.action,
    policies: { ...previous.policies, ...wanted.policies },
  }));
  return 'updated';
}

/** At worker start-up: the schedule when this worker can reach Kubernetes; a failure is logged, never fatal (the sweep is a backstop). */
export async function startSweepSchedule(
  client: Client,
  options: { taskQueue: string; everyMs: number | undefined; kubernetes: boolean; logger: Logger },
): Promise<void> {
  const { taskQueue, everyMs, logger } = options;
  const scheduleId = sweepScheduleId(taskQueue);
  if (everyMs !== undefined && !options.kubernetes) {
    logger.info({ scheduleId }, 'break-glass sweep schedule not set up: Kubernetes is not configured on this worker');
    return;
  }
  try {
    const change = await ensureSweepSchedule(client, taskQueue, everyMs);
    logger.info(
      { scheduleId, everyMs, change },
      everyMs === undefined ? 'break-glass sweep off (TOURNIQUET_BREAKGLASS_SWEEP=off)' : 'break-glass sweep scheduled',
    );
  } catch (err) {
    logger.error(
      { err, scheduleId },
      'could not set up the break-glass sweep schedule; expired grants of terminated incidents are not swept',
    );
  }
}
