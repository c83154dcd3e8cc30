/**
 * The set-up and teardown every Kubernetes suite shares, registered as vitest hooks in one call:
 * a control plane with the worker's manifests applied and a fresh namespace (startWorkerCluster),
 * and on request a deployment controller for that namespace, a harness on the shared dev server
 * whose worker acts as the worker's ServiceAccount, or a time-skipping stack that does. Incidents a
 * test starts and does not see finish are cancelled after it; everything stops in reverse order.
 *
 * Call it at the top of a suite file; the fields are filled in before the suite's own beforeAll
 * hooks run (vitest runs beforeAll hooks in the order they are registered, after hooks in reverse).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { IncidentStatus } from '../../../workflows';
import { startHarness, type Harness, type HarnessOptions } from '../harness';
import { startTimeSkippingStack, type TimeSkippingStack } from '../time-skipping';
import { startDeploymentController, type DeploymentController } from './deployment-controller';
import { startWorkerCluster, type WorkerCluster } from './worker-cluster';

type TimeSkippingDeps = Parameters<typeof startTimeSkippingStack>[0];

export interface KubeSuiteOptions {
  /** sets the scene once the cluster is up, before the controller and the harness start */
  setup?: (cluster: WorkerCluster) => Promise<void>;
  /** a deployment controller reconciling the suite's namespace */
  controller?: boolean;
  /** a harness whose worker calls the API server as the worker's ServiceAccount; these options on top */
  harness?: (cluster: WorkerCluster) => Omit<HarnessOptions, 'kubernetes'>;
  /** a time-skipping stack whose worker calls the API server as the worker's ServiceAccount */
  timeSkipping?: (cluster: WorkerCluster) => Omit<TimeSkippingDeps, 'kubernetes'>;
  /** undoes what `setup` started, after the harness has stopped and before the cluster does */
  teardown?: () => Promise<void>;
}

export interface KubeSuite extends WorkerCluster {
  /** with `harness` */
  h: Harness;
  /** with `controller` */
  controller: DeploymentController;
  /** with `timeSkipping` */
  stack: TimeSkippingStack;
  /** Incidents the running test started and has not seen end: cancelled after it. */
  open: Set<string>;
  /** The incident's result; it is no longer cancelled after the test. */
  finished(id: string): Promise<IncidentStatus>;
  /** Cancels the tracked incidents now (a suite's own afterEach may need them gone first). */
  cancelOpen(): Promise<void>;
}

export function useKubeSuite(options: KubeSuiteOptions = {}): KubeSuite {
  const open = new Set<string>();
  const suite = {
    open,
    async finished(id: string): Promise<IncidentStatus> {
      const final: IncidentStatus = await suite.h.client.workflow.getHandle(id).result();
      open.delete(id);
      return final;
    },
    async cancelOpen() {
      for (const id of open)
        await suite.h.client.workflow
          .getHandle(id)
          .cancel()
          .catch(() => {});
      open.clear();
    },
  } as KubeSuite;
  let stopCluster: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const cluster = await startWorkerCluster();
    stopCluster = () => cluster.cp.stop();
    Object.assign(suite, cluster);
    await options.setup?.(cluster);
    if (options.controller) suite.controller = startDeploymentController(cluster.admin, cluster.ns);
    const kubernetes = { kubeConfig: cluster.worker };
    if (options.harness) suite.h = await startHarness({ ...options.harness(cluster), kubernetes });
    if (options.timeSkipping) suite.stack = await startTimeSkippingStack({ ...options.timeSkipping(cluster), kubernetes });
  }, 120_000);

  afterEach(async () => {
    if (suite.h) await suite.cancelOpen();
  });

  afterAll(async () => {
    await suite.stack?.stop();
    await suite.h?.stop();
    await options.teardown?.();
    await suite.controller?.stop();
    await stopCluster?.();
  });

  return suite;
}
