/**
 * The real worker entry point (`worker/main.ts`) as a child process, so a test can SIGKILL it
 * the way a crash or an OOM kill would, and start it again.
 */
import { inject } from 'vitest';
import { spawnEntry, type ChildOutput } from './child-process';
import type { Harness } from './harness';

export type WorkerProcess = ChildOutput;

export function spawnWorker(h: Harness, extraEnv: Record<string, string> = {}): WorkerProcess {
  return spawnEntry(['worker/main.ts'], {
    TEMPORAL_ADDRESS: h.address,
    TOURNIQUET_TASK_QUEUE: h.taskQueue,
    TOURNIQUET_DATA_DIR: h.dir,
    TOURNIQUET_POLICIES: h.policiesPath,
    TOURNIQUET_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    LOG_LEVEL: 'warn',
    TOURNIQUET_METRICS_PORT: '0',
    ...extraEnv,
  });
}
