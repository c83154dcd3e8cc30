/**
 * A Tourniquet stack for one test suite on the shared dev server: its own task queue, temp data
 * dir, policy file and worker, and a client. `stop()` undoes all of it.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../activities';
import type { KubernetesDeps } from '../../activities/kubernetes';
import type { IncidentMetrics } from '../../activities/metrics/incident-metrics';
import { parsePolicyFile } from '../../activities/approvals/policies';
import { DemoWorld } from '../../activities/demo/world';
import type { Notifier } from '../../activities/notify/notifier';
import type { IncidentNotification } from '../../workflows';
import type { AwsSettings } from '../../activities/aws';
import type { S3EvidenceSettings } from '../../activities/evidence';
import { buildActivityDeps, createWorker } from '../../worker/worker';
import { testTrust } from './keys';
import { dataConverterFor, type PayloadKeys } from '../../worker/payload-codec';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed by another suite in this process
  }
}

export const TEST_POLICIES = {
  groups: { oncall: ['alice', 'bob', 'carol'], leads: ['dana', 'erin'] },
  policies: {
    standard: { approvers: ['@oncall'], quorum: 1, timeout: '10m', reminders: ['3m'], escalation: { after: '6m', notify: ['@leads'] } },
    'two-person': { approvers: ['@oncall', '@leads'], quorum: 2, timeout: '10m' },
    'reason-on-approve': { approvers: ['@oncall'], quorum: 1, timeout: '10m', requireReasonOnApprove: true },
    lonely: { approvers: ['alice'], quorum: 1, timeout: '10m' },
  },
};

/** Records every notification, so tests can wait for "approval requested" instead of polling status. */
export class RecordingNotifier implements Notifier {
  name = 'recording';
  readonly events: IncidentNotification[] = [];
  async notify(event: IncidentNotification): Promise<void> {
    this.events.push(event);
  }
  of(incidentId: string, kind?: IncidentNotification['kind']): IncidentNotification[] {
    return this.events.filter((e) => e.incident.id === incidentId && (!kind || e.kind === kind));
  }
}

export interface Harness {
  client: Client;
  taskQueue: string;
  dir: string;
  deps: ActivityDeps;
  notifier: RecordingNotifier;
  world: DemoWorld;
  policiesPath: string;
  address: string;
  /** the worker's connection: a client on it starts incidents eagerly, as `npm run dev`'s gateway does */
  nativeConnection: NativeConnection;
  startWorker(): Promise<Worker>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  worker?: boolean;
  policies?: unknown;
  /** notify Slack (a fake Slack API) as the worker would */
  slack?: { botToken: string; channel: string; apiUrl: string };
  /** call GitHub (a fake GitHub API) as the worker would; rotation values from here instead of the environment */
  github?: { token: string; apiUrl: string; rotationValues?: (name: string) => string | undefined };
  /** AWS (moto) for leaked AWS keys; credentials from the SDK's standard chain (the test's AWS_* environment) */
  aws?: AwsSettings;
  /** links to incidents, as TOURNIQUET_UI_URL gives them (in messages, GitHub comments and deployment statuses) */
  incidentUrl?: (incidentId: string) => string;
  /** count incidents and failed activities into these metrics */
  metrics?: IncidentMetrics;
  /** call a (test control plane's) Kubernetes API as this identity */
  kubernetes?: KubernetesDeps;
  /** the break-glass catalogue the worker grants from */
  breakGlass?: ActivityDeps['breakGlass'];
  /** who may sign decisions; the test keys (see keys.ts) by default */
  trust?: ActivityDeps['trust'];
  /** encrypt payloads (client and worker), as TOURNIQUET_PAYLOAD_KEY does */
  payloadKeys?: PayloadKeys;
  /** another Temporal server than the run's (a suite's own cluster: temporal-cluster.ts) */
  address?: string;
  /** evidence in this S3 bucket instead of the temp dir; credentials from the SDK's standard chain (the test's AWS_* environment) */
  evidenceS3?: S3EvidenceSettings;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  quietRuntime();
  const address = options.address ?? inject('temporalAddress');
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-suite-'));
  const policies = options.policies ?? TEST_POLICIES;
  const policiesPath = join(dir, 'policies.json');
  await writeFile(policiesPath, JSON.stringify(policies));
  const notifier = new RecordingNotifier();
  const world = new DemoWorld(join(dir, 'demo'));
  const deps = buildActivityDeps({
    policies: parsePolicyFile(policies),
    evidenceDir: join(dir, 'evidence'),
    ...(options.evidenceS3 ? { evidenceS3: options.evidenceS3 } : {}),
    demoWorld: world,
    notifiers: [notifier],
    trust: options.trust ?? testTrust(),
    ...(options.slack ? { slack: options.slack } : {}),
    ...(options.github ? { github: options.github } : {}),
    ...(options.aws ? { aws: options.aws } : {}),
    ...(options.incidentUrl ? { incidentUrl: options.incidentUrl } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.kubernetes ? { kubernetes: options.kubernetes } : {}),
    ...(options.breakGlass ? { breakGlass: options.breakGlass } : {}),
  });
  const taskQueue = `test-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const dataConverter = dataConverterFor(options.payloadKeys);
  const client = new Client({ connection, ...(dataConverter ? { dataConverter } : {}) });
  const nativeConnection = await NativeConnection.connect({ address });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const harness: Harness = {
    client,
    taskQueue,
    dir,
    deps,
    notifier,
    world,
    policiesPath,
    address,
    nativeConnection,
    async startWorker() {
      worker = await createWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        deps,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(dataConverter ? { dataConverter } : {}),
      });
      running = worker.run();
      return worker;
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      worker = undefined;
    },
    async stop() {
      await harness.stopWorker();
      await nativeConnection.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (options.worker !== false) await harness.startWorker();
  return harness;
}
