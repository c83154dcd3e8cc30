/**
 * The set-up the cluster tier's suites share, registered as vitest hooks in one call: the suite's own
 * Temporal cluster on PostgreSQL (./temporal-cluster.ts), a harness on it without an in-process
 * worker, and real worker processes (worker/main.ts) sharing its task queue, which a test can
 * SIGKILL. After each test the suite is topped up to its worker count again; incidents the tests
 * started are cancelled at the end, and everything stops in reverse order.
 *
 * Call it at the top of a suite file; the fields are filled in before the suite's own beforeAll
 * hooks run (vitest runs beforeAll hooks in the order they are registered, after hooks in reverse).
 */
import proto from '@temporalio/proto';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startHarness, type Harness } from './harness';
import { cancelAll } from './intake';
import { startTestCluster, type TestCluster } from './temporal-cluster';
import { waitFor } from './wait';
import { spawnWorker, type WorkerProcess } from './worker-process';

const { TaskQueueType } = proto.temporal.api.enums.v1;

export interface ClusterSuiteOptions {
  /** worker processes kept running (2 by default) */
  workers?: number;
  /** sets the scene once the cluster and harness are up, before the workers start */
  setup?: (suite: ClusterSuite) => Promise<void>;
  /** the workers' environment on top of the harness's (read when each one starts) */
  workerEnv?: () => Record<string, string>;
  /** undoes what `setup` started, after the workers and the harness have stopped */
  teardown?: () => Promise<void>;
}

export interface ClusterSuite {
  cluster: TestCluster;
  h: Harness;
  /** the live worker processes */
  workers: WorkerProcess[];
  /** incidents the tests started: cancelled after the suite */
  started: Set<string>;
  /** starts one more worker process */
  spawn(): WorkerProcess;
  /** the identity a worker process reports to Temporal (`pid@host`) */
  identityOf(worker: WorkerProcess): string;
  /** the worker process that reported this identity */
  workerOf(identity: string | null | undefined): WorkerProcess | undefined;
  /** SIGKILLs a worker process: no shutdown of any kind, its sticky queue left behind */
  kill(worker: WorkerProcess): Promise<void>;
  /** waits until every live worker polls the task queue for both workflow and activity tasks */
  waitForWorkers(): Promise<void>;
  /** the worker whose cache holds the incident (the one that took its last workflow task) */
  stickyWorkerOf(incidentId: string): Promise<WorkerProcess>;
}

const identityOf = (w: WorkerProcess) => `${w.child.pid}@${hostname()}`;

export function useClusterSuite(options: ClusterSuiteOptions = {}): ClusterSuite {
  const size = options.workers ?? 2;
  const suite = { workers: [], started: new Set<string>() } as unknown as ClusterSuite;

  suite.spawn = () => {
    const w = spawnWorker(suite.h, options.workerEnv?.() ?? {});
    suite.workers.push(w);
    return w;
  };
  suite.identityOf = identityOf;
  suite.workerOf = (identity) => suite.workers.find((w) => identityOf(w) === identity);
  suite.kill = async (w) => {
    await w.kill();
    suite.workers.splice(suite.workers.indexOf(w), 1);
  };
  suite.waitForWorkers = async () => {
    const pollers = async (taskQueueType: number) => {
      const queue = await suite.h.client.workflowService.describeTaskQueue({
        namespace: suite.cluster.namespace,
        taskQueue: { name: suite.h.taskQueue },
        taskQueueType,
      });
      return new Set((queue.pollers ?? []).map((p) => p.identity));
    };
    await waitFor(
      `${suite.workers.length} worker processes polling the task queue`,
      async () => {
        // A killed worker stays listed for minutes: what matters is that every live one is.
        const [workflow, activity] = await Promise.all([
          pollers(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
          pollers(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        ]);
        return suite.workers.every((w) => workflow.has(identityOf(w)) && activity.has(identityOf(w)));
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nworkers said:\n${suite.workers.map((w) => w.output()).join('\n---\n')}`);
    });
  };
  suite.stickyWorkerOf = async (incidentId) => {
    const history = await suite.h.client.workflow.getHandle(incidentId).fetchHistory();
    const last = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskCompletedEventAttributes);
    const identity = last?.workflowTaskCompletedEventAttributes?.identity;
    const worker = suite.workerOf(identity);
    if (!worker)
      throw new Error(`incident ${incidentId}: its last workflow task was completed by ${identity}, not a live worker of the suite`);
    return worker;
  };

  beforeAll(async () => {
    suite.cluster = await startTestCluster();
    suite.h = await startHarness({ worker: false, address: suite.cluster.address });
    await options.setup?.(suite);
    for (let i = 0; i < size; i += 1) suite.spawn();
    await suite.waitForWorkers();
  }, 180_000);

  afterEach(async () => {
    if (!suite.h || suite.workers.length >= size) return;
    while (suite.workers.length < size) suite.spawn();
    await suite.waitForWorkers();
  });

  afterAll(async () => {
    if (suite.h) await cancelAll(suite.h.client, suite.started);
    await Promise.all(suite.workers.map((w) => w.kill()));
    await suite.h?.stop();
    await options.teardown?.();
    await suite.cluster?.stop();
  });

  return suite;
}
