/**
 * Builds a Tourniquet worker. Used by `worker/main.ts`, `tourniquet dev`, the tests and the bench,
 * so every one of them runs the same registration.
 */
import type { DataConverter } from '@temporalio/common';
import {
  bundleWorkflowCode,
  Worker,
  type NativeConnection,
  type WorkerOptions as SdkWorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Logger } from 'pino';
import { join } from 'node:path';
import { defaultMaxCachedWorkflows } from './cache-size';
import { projectRoot } from './project-root';
import { createActivities, type ActivityDeps } from '../activities';
import { PolicyBook, loadPolicyFile, type PolicyFile } from '../activities/approvals/policies';
import { DemoWorld } from '../activities/demo/world';
import { openEvidenceStore, type S3EvidenceSettings } from '../activities/evidence';
import { createAwsClients, type AwsSettings } from '../activities/aws';
import { createGitHubDeps } from '../activities/github';
import {
  checkCataloguePolicies,
  kubeConfigFromEnvironment,
  loadBreakGlassCatalogue,
  type BreakGlassCatalogueFile,
  type KubernetesDeps,
} from '../activities/kubernetes';
import { LogNotifier, type Notifier } from '../activities/notify/notifier';
import { MetricsNotifier, type IncidentMetrics } from '../activities/metrics/incident-metrics';
import { playbooks } from '../playbooks';
import type { Config, GitHubConfig, SlackSettings } from './config';
import { incidentUrlFor } from './incident-url';
import { Directory } from '../activities/approvals/directory';
import { TemporalMembershipCache } from '../activities/approvals/membership';
import { loadAllowedSignersWithValidity, loadPublicKey, type TrustConfig } from '../activities/approvals/signers';
import { SlackNotifier, createSlackClient, slackGroupMembers } from '../activities/slack';
import { breakGlassPlaybook } from '../playbooks/break-glass';

// From the project root, not this module: the compiled CLI (dist/, for `tourniquet dev`) holds this code elsewhere.
export const workflowsPath = join(projectRoot, 'worker', 'workflows.ts');

/** Bundles the workflow code once (webpack; a few seconds), for reuse by several workers. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger, preloadModules: SHARED_WORKFLOW_MODULES });
}

/**
 * Evaluated once per worker and shared by every workflow, instead of once per cached workflow:
 * - zod and the signature libraries were 800 KB of the 1.15 MB each cached incident's module graph
 *   took (docs/development.md, many incidents waiting);
 * - the SSH signature code and the Ed25519 curve under it: verifying a decision needs the base
 *   point's multiplication table, about 80 ms of CPU to build; built per workflow, it made each decide
 *   Update's validator slow (under load the decide round trip p50 went from 161–176 ms to 58 ms).
 * Safe to share: these modules keep no per-workflow state, only constants and that table, which is
 * pure arithmetic, so replay computes the same results either way. Named by path: the packages mark
 * themselves side-effect free, and webpack drops a bare import of them.
 */
export const SHARED_WORKFLOW_MODULES = [
  // first: its stack limit then holds for every other module's evaluation too
  join(projectRoot, 'workflows', 'sandbox-stacks.ts'),
  join(projectRoot, 'workflows', 'shared-libraries.ts'),
  join(projectRoot, 'workflows', 'signatures', 'sshsig.ts'),
];

const noop = () => {};
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** Every playbook's default policy must exist: a missing one would otherwise surface only when a gate opens. */
export function checkPlaybookPolicies(policies: PolicyBook): void {
  const missing = Object.values(playbooks).filter((p) => !policies.has(p.defaultPolicy));
  if (missing.length) {
    throw new Error(`policy file lacks the default policy of: ${missing.map((p) => `${p.name} (needs "${p.defaultPolicy}")`).join(', ')}`);
  }
}

export interface ActivityDepsOptions {
  policies: PolicyFile;
  evidenceDir: string;
  /** the shared S3 evidence store, used instead of `evidenceDir` when set */
  evidenceS3?: S3EvidenceSettings;
  /** a directory, or a DemoWorld of the caller's (the bench instruments one) */
  demoWorld: string | DemoWorld;
  notifiers: readonly Notifier[];
  /** posts incidents and approval requests to Slack, and resolves Slack user groups */
  slack?: Pick<SlackSettings, 'botToken' | 'channel' | 'apiUrl'>;
  /** links to incidents in messages */
  incidentUrl?: (incidentId: string) => string;
  /**
   * GitHub's API for the GitHub playbooks; `rotationValues` looks up the new values of rotated
   * Actions secrets (the worker's environment by default)
   */
  github?: GitHubConfig & { rotationValues?: (name: string) => string | undefined };
  /** AWS for leaked AWS access keys (found in GitHub's alerts, so only with `github`) */
  aws?: AwsSettings;
  /** counts incidents, refusals and durations from notifications */
  metrics?: IncidentMetrics;
  /** the Kubernetes API for the Kubernetes playbooks, as the worker's own identity */
  kubernetes?: KubernetesDeps;
  /** the roles break-glass may grant; checked against the policies here */
  breakGlass?: BreakGlassCatalogueFile;
  /** who may sign decisions (allowed signers, the Slack gateway's key), or the explicit unauthenticated demo mode */
  trust: TrustConfig;
}

/** The one place activity dependencies are assembled: worker, dev stack, tests and bench. */
export function buildActivityDeps(options: ActivityDepsOptions): ActivityDeps {
  const policies = new PolicyBook(options.policies);
  checkPlaybookPolicies(policies);
  if (options.breakGlass)
    checkCataloguePolicies(options.breakGlass, (name) =>
      policies.has(name) ? policies.resolve({ playbook: breakGlassPlaybook.name, step: 'check', policy: name }).quorum : undefined,
    );
  const slackClient = options.slack && createSlackClient(options.slack);
  const directory = new Directory(
    policies.people,
    slackClient && slackGroupMembers(slackClient),
    slackClient && new TemporalMembershipCache(),
  );
  const notifiers = [...options.notifiers];
  if (options.metrics) notifiers.push(new MetricsNotifier(options.metrics));
  if (slackClient && options.slack) {
    notifiers.push(
      new SlackNotifier(slackClient, options.slack.channel, {
        who: (identity) => {
          const user = directory.slackUserOf(identity);
          return user ? `<@${user}>` : identity;
        },
        ...(options.incidentUrl ? { link: options.incidentUrl } : {}),
      }),
    );
  }
  const github =
    options.github &&
    createGitHubDeps(
      { token: options.github.token, apiUrl: options.github.apiUrl },
      {
        ...(options.github.rotationValues ? { rotationValues: options.github.rotationValues } : {}),
        ...(options.incidentUrl ? { incidentUrl: options.incidentUrl } : {}),
        ...(options.aws ? { aws: createAwsClients(options.aws) } : {}),
        // Leaked Slack tokens are revoked with themselves on this API; without a bot, Slack's own.
        ...(options.slack
          ? { slack: { botToken: options.slack.botToken, ...(options.slack.apiUrl ? { apiUrl: options.slack.apiUrl } : {}) } }
          : {}),
      },
    );
  return {
    store: openEvidenceStore({ dir: options.evidenceDir, ...(options.evidenceS3 ? { s3: options.evidenceS3 } : {}) }),
    policies,
    directory,
    trust: options.trust,
    notifiers,
    demoWorld: typeof options.demoWorld === 'string' ? new DemoWorld(options.demoWorld) : options.demoWorld,
    ...(github ? { github } : {}),
    ...(options.kubernetes ? { kubernetes: options.kubernetes } : {}),
    ...(options.breakGlass ? { breakGlass: options.breakGlass } : {}),
  };
}

export function activityDepsFromConfig(config: Config, logger: Logger, metrics?: IncidentMetrics): ActivityDeps {
  const incidentUrl = incidentUrlFor(config);
  return buildActivityDeps({
    ...(metrics ? { metrics } : {}),
    policies: loadPolicyFile(config.policiesPath),
    evidenceDir: config.evidenceDir,
    ...(config.evidenceS3 ? { evidenceS3: config.evidenceS3 } : {}),
    demoWorld: config.demoDir,
    notifiers: [new LogNotifier(logger)],
    ...(config.slack ? { slack: config.slack } : {}),
    ...(config.github ? { github: config.github } : {}),
    aws: config.aws,
    // KUBECONFIG (read by loadFromDefault) outside a cluster, the ServiceAccount inside one.
    ...(config.kubernetes ? { kubernetes: { kubeConfig: kubeConfigFromEnvironment() } } : {}),
    ...(config.breakGlassPath ? { breakGlass: loadBreakGlassCatalogue(config.breakGlassPath) } : {}),
    ...(incidentUrl ? { incidentUrl } : {}),
    trust: trustFromConfig(config),
  });
}

/** The allowed signers file and the Slack gateway's public key, read once: a bad line stops start-up. */
export function trustFromConfig(config: Pick<Config, 'decisions'>): TrustConfig {
  const { decisions } = config;
  return {
    mode: decisions.mode,
    ...(decisions.allowedSignersPath ? loadAllowedSignersWithValidity(decisions.allowedSignersPath) : { signers: {} }),
    slackGateway: decisions.slackGatewayPublicKey
      ? [loadPublicKey(decisions.slackGatewayPublicKey, 'TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY')]
      : [],
  };
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** a pre-built bundle (tests, bench) or a bundle file; bundles from source otherwise */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  /** counts failed activity attempts by system */
  metrics?: IncidentMetrics;
  /** the payload codec (worker/payload-codec.ts `dataConverterFor`): the same one the clients use */
  dataConverter?: DataConverter;
  /** the sticky cache's size (TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS); `defaultMaxCachedWorkflows()` when not given */
  maxCachedWorkflows?: number;
  /** the SDK's thread, slot and poller settings, for the bench to try others than the worker's own */
  tuning?: WorkerTuning;
}

export type WorkerTuning = Pick<
  SdkWorkerOptions,
  | 'workflowThreadPoolSize'
  | 'reuseV8Context'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'workflowTaskPollerBehavior'
  | 'activityTaskPollerBehavior'
  | 'nonStickyToStickyPollRatio'
>;

/**
 * How long a workflow task (a decision, a query) waits on the sticky queue of the worker that has
 * the incident cached before the server hands it to any worker. The SDK's 10 s made a decision
 * taken right after that worker died wait 10-12 s of its 15 s validity (3 s: about 5 s on a loaded
 * 2-core machine, docs/production.md); a live worker that lets a task wait this long is overloaded,
 * and losing the task costs it one history replay elsewhere.
 */
const STICKY_QUEUE_TIMEOUT = '3s';

export function createWorker(options: WorkerOptions): Promise<Worker> {
  const workflowSource = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath, bundlerOptions: { preloadModules: SHARED_WORKFLOW_MODULES } };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_TIMEOUT,
    ...(options.metrics ? { interceptors: { activity: [options.metrics.failureInterceptor()] } } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    maxCachedWorkflows: options.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    ...options.tuning,
    ...workflowSource,
  });
}
