/**
 * A worker on the time-skipping test server, for suites whose incidents must see minutes or hours
 * pass (approval deadlines, reminders, escalation) in a second of real time.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { testTrust } from './keys';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { parsePolicyFile } from '../../activities/approvals/policies';
import { buildActivityDeps, createWorker, type ActivityDepsOptions } from '../../worker/worker';
import { TEST_POLICIES } from './harness';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import proto from '@temporalio/proto';

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  /** a crash or a deploy: the worker goes away, incidents wait on the server */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** `deps`: what the suite adds to the worker (notifiers, Slack, GitHub…); policies default to TEST_POLICIES. */
export async function startTimeSkippingStack(
  deps: Pick<ActivityDepsOptions, 'notifiers'> & Partial<ActivityDepsOptions>,
): Promise<TimeSkippingStack> {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already in this process
  }
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-timeskip-'));
  const taskQueue = `timeskip-${randomUUID()}`;
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
  });
  // Incidents index their state in search attributes; this server, too, rejects unregistered ones.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((k) => [k.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  const activityDeps = buildActivityDeps({
    policies: parsePolicyFile(TEST_POLICIES),
    evidenceDir: join(dir, 'evidence'),
    demoWorld: join(dir, 'demo'),
    trust: testTrust(),
    ...deps,
  });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const startWorker = async () => {
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps: activityDeps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    worker?.shutdown();
    await running;
    worker = undefined;
  };
  await startWorker();
  return {
    env,
    taskQueue,
    startWorker,
    stopWorker,
    async stop() {
      await stopWorker();
      await env.teardown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
