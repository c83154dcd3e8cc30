/**
 * Configuration from the environment, validated once at start-up so a typo fails loudly with the
 * variable's name instead of surfacing later as a confusing connection error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { AwsSettings } from '../activities/aws';
import type { S3EvidenceSettings } from '../activities/evidence/s3-store';
import { projectRoot } from './project-root';
import { parsePayloadKeys, PayloadKeyError, type PayloadKeys } from './payload-keys';

const DEFAULT_BREAKGLASS = resolve(projectRoot, 'config/break-glass.json');

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Exported so test/config-docs.test.ts can hold docs/configuration.md to every variable it knows. */
export const envSchema = z
  .object({
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^(\[[0-9a-f:.]+\]|[^\s:[\]]+):\d{1,5}$/i, 'must be host:port (an IPv6 host in brackets: [::1]:7233)')
      .optional(),
    // The CLI's status and approve go over this (no gRPC client to load: a faster start); `off`: gRPC only.
    TEMPORAL_HTTP_ADDRESS: z
      .string()
      .regex(/^(off|(\[[0-9a-f:.]+\]|[^\s:[\]]+):\d{1,5})$/i, "must be host:port of Temporal's HTTP API, or off")
      .optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TLS: bool.optional(),
    TEMPORAL_TLS_CERT: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS_CA: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TOURNIQUET_TASK_QUEUE: z.string().min(1).default('tourniquet'),
    TOURNIQUET_DATA_DIR: z.string().min(1).default(resolve(projectRoot, '.data')),
    TOURNIQUET_EVIDENCE_DIR: z.string().min(1).optional(),
    TOURNIQUET_EVIDENCE_S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)')
      .optional(),
    TOURNIQUET_EVIDENCE_S3_ENDPOINT: z.url().optional(),
    TOURNIQUET_EVIDENCE_S3_REGION: z.string().min(1).default('us-east-1'),
    TOURNIQUET_EVIDENCE_S3_PREFIX: z.string().min(1).optional(),
    TOURNIQUET_EVIDENCE_S3_FORCE_PATH_STYLE: bool.default(false),
    TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
    TOURNIQUET_EVIDENCE_S3_RETENTION_MODE: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
    TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    TOURNIQUET_DEMO_DIR: z.string().min(1).optional(),
    TOURNIQUET_POLICIES: z.string().min(1).default(resolve(projectRoot, 'config/policies.json')),
    TOURNIQUET_BREAKGLASS: z.string().min(1).optional(),
    TOURNIQUET_BREAKGLASS_SWEEP: z
      .string()
      .regex(/^(off|[1-9]\d*[smh])$/, 'a duration like 30s, 5m or 1h, or off')
      .default('5m')
      .transform((v) =>
        v === 'off' ? undefined : Number(v.slice(0, -1)) * { s: 1_000, m: 60_000, h: 3_600_000 }[v.slice(-1) as 's' | 'm' | 'h'],
      ),
    TOURNIQUET_WORKFLOW_BUNDLE: z.string().min(1).optional(),
    // 0 turns the sticky cache off (every workflow task replays the whole history); 1 is not a cache the SDK accepts.
    TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: z.coerce
      .number()
      .int()
      .min(0)
      .refine((n) => n !== 1, 'must be 0 (no cache) or at least 2')
      .optional(),
    TOURNIQUET_GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
    TOURNIQUET_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    TOURNIQUET_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
    TOURNIQUET_DEV_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
    TOURNIQUET_DEV_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(7243),
    SLACK_BOT_TOKEN: z
      .string()
      .regex(/^xoxb-/, 'must be a bot token (xoxb-…)')
      .optional(),
    SLACK_SIGNING_SECRET: z.string().min(8).optional(),
    SLACK_CHANNEL: z.string().min(1).optional(),
    SLACK_API_URL: z.url().optional(),
    SLACK_EVENTS_PATH: z.string().startsWith('/').default('/slack/events'),
    TOURNIQUET_UI_URL: z.url().optional(),
    GITHUB_TOKEN: z
      .string()
      .regex(/^\S{20,}$/, 'must be a GitHub token (no spaces, 20+ characters)')
      .optional(),
    GITHUB_API_URL: z.url().default('https://api.github.com'),
    TOURNIQUET_AWS_REGION: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. us-east-1')
      .default('us-east-1'),
    TOURNIQUET_AWS_ENDPOINT_URL: z.url().optional(),
    TOURNIQUET_AWS_CLOUDTRAIL_MAX_EVENTS: z.coerce.number().int().min(1).max(10_000).default(500),
    KUBECONFIG: z.string().min(1).optional(),
    KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
    TOURNIQUET_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    TOURNIQUET_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    TEMPORAL_SDK_METRICS_ADDRESS: z
      .string()
      .regex(/^[^\s:]+:\d+$/, 'must be host:port')
      .optional(),
    TOURNIQUET_DECISIONS: z.enum(['signed', 'unauthenticated']).default('signed'),
    TOURNIQUET_ALLOWED_SIGNERS: z.string().min(1).optional(),
    TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY: z.string().min(1).optional(),
    TOURNIQUET_SLACK_GATEWAY_KEY: z.string().min(1).optional(),
    TOURNIQUET_PAYLOAD_KEY: z.string().min(1).optional(),
    TOURNIQUET_PAYLOAD_KEY_FILE: z.string().min(1).optional(),
    TOURNIQUET_CODEC_TOKEN: z
      .string()
      .refine((v) => v.split(',').every((t) => t.trim().length >= 16), 'each token at least 16 characters (a comma-separated list rotates)')
      .optional(),
    TOURNIQUET_CODEC_HOST: z.string().min(1).default('127.0.0.1'),
    TOURNIQUET_CODEC_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
    TOURNIQUET_CODEC_ORIGINS: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((e) => !e.SLACK_BOT_TOKEN || e.SLACK_CHANNEL, {
    message: 'SLACK_CHANNEL (the incidents channel id) is required with SLACK_BOT_TOKEN',
    path: ['SLACK_CHANNEL'],
  })
  .refine((e) => !(e.TOURNIQUET_PAYLOAD_KEY && e.TOURNIQUET_PAYLOAD_KEY_FILE), {
    message: 'TOURNIQUET_PAYLOAD_KEY and TOURNIQUET_PAYLOAD_KEY_FILE are two ways to give the same keys: set one',
    path: ['TOURNIQUET_PAYLOAD_KEY_FILE'],
  })
  .refine(
    (e) =>
      e.TOURNIQUET_EVIDENCE_S3_BUCKET ||
      !(e.TOURNIQUET_EVIDENCE_S3_ENDPOINT || e.TOURNIQUET_EVIDENCE_S3_PREFIX || e.TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS),
    {
      message:
        'the S3 evidence store is used only with TOURNIQUET_EVIDENCE_S3_BUCKET: set it, or remove the other TOURNIQUET_EVIDENCE_S3_* settings',
      path: ['TOURNIQUET_EVIDENCE_S3_BUCKET'],
    },
  )
  .refine((e) => !e.TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID === !e.TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY, {
    message: 'TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID and TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY go together: set both or neither',
    path: ['TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY'],
  })
  .refine((e) => !e.TEMPORAL_TLS_CERT === !e.TEMPORAL_TLS_KEY, {
    message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither',
    path: ['TEMPORAL_TLS_CERT'],
  });

export interface TemporalSettings {
  /** undefined: no cluster configured, `tourniquet dev` starts the embedded one */
  address?: string;
  /** host:port of the cluster's HTTP API (TEMPORAL_HTTP_ADDRESS); see temporalHttpAddress() */
  httpAddress?: string;
  /** TEMPORAL_HTTP_ADDRESS=off */
  httpOff?: boolean;
  namespace: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  apiKey?: string;
}

export interface SlackSettings {
  botToken: string;
  /** the incidents channel: every incident's thread starts here */
  channel: string;
  /** only the gateway needs it: requests without a valid signature are refused */
  signingSecret?: string;
  /** for tests and proxies; Slack's own API otherwise */
  apiUrl?: string;
  eventsPath: string;
}

export interface GitHubConfig {
  /** a secret: never logged */
  token: string;
  /** https://api.github.com, or a GitHub Enterprise Server's https://HOST/api/v3 */
  apiUrl: string;
}

export interface Config {
  temporal: TemporalSettings;
  taskQueue: string;
  dataDir: string;
  /** the local evidence store: used when `evidenceS3` is not set */
  evidenceDir: string;
  /** the shared S3 evidence store (TOURNIQUET_EVIDENCE_S3_BUCKET), used instead of `evidenceDir` */
  evidenceS3?: S3EvidenceSettings;
  demoDir: string;
  policiesPath: string;
  /**
   * the break-glass catalogue file: the roles the break-glass playbook may grant. TOURNIQUET_BREAKGLASS
   * (must exist), else config/break-glass.json when present; without one, break-glass says it is not configured
   */
  breakGlassPath?: string;
  /**
   * how often the worker's Temporal Schedule sweeps expired break-glass grants (worker/sweep-schedule.ts);
   * undefined: off (TOURNIQUET_BREAKGLASS_SWEEP=off), and the worker removes its schedule
   */
  breakGlassSweepMs?: number;
  workflowBundle?: string;
  /** the worker's sticky cache, in workflows; undefined: sized from memory (worker/worker.ts `defaultMaxCachedWorkflows`) */
  maxCachedWorkflows?: number;
  gateway: { host: string; port: number };
  /** the embedded dev server's ports: gRPC, UI, HTTP API */
  dev: { port: number; uiPort: number; httpPort: number };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  slack?: SlackSettings;
  /** the GitHub playbooks' API access; their activities fail with GitHubNotConfigured without it */
  github?: GitHubConfig;
  /** AWS as Tourniquet's own identity (the SDK's standard credential chain): leaked AWS keys are revoked with it */
  aws: AwsSettings;
  /**
   * the Kubernetes playbooks' API access: KUBECONFIG outside a cluster, the pod's ServiceAccount
   * inside one (KUBERNETES_SERVICE_HOST); their activities fail with KubernetesNotConfigured without it
   */
  kubernetes?: { kubeconfig?: string };
  /** the standalone worker's /metrics port (the gateway serves /metrics on its own port) */
  metricsPort: number;
  /** the address the standalone worker's /metrics listens on (not the gateway's: a worker serves no HTTP otherwise) */
  metricsHost: string;
  /** Temporal SDK metrics (Prometheus) from the worker's core, when set */
  sdkMetricsAddress?: string;
  /** base of incident links in messages: the Temporal UI */
  uiUrl?: string;
  /**
   * how decisions are proven: `signed` (default) checks each against the allowed signers file and
   * the Slack gateway's key; `unauthenticated` is the demo's explicit opt-out, shown everywhere
   */
  decisions: {
    mode: 'signed' | 'unauthenticated';
    allowedSignersPath?: string;
    /** the worker trusts this key (inline or a .pub path) to attest Slack users' clicks */
    slackGatewayPublicKey?: string;
    /** the gateway signs Slack users' decisions with this private key file */
    slackGatewayKeyPath?: string;
  };
  /** payload encryption keys (worker/payload-codec.ts); payloads are plain JSON without them */
  payloadKeys?: PayloadKeys;
  /** `tourniquet codec-server`: where it listens, the bearer tokens it takes, the browser origins it answers (the Temporal UI) */
  codecServer: { host: string; port: number; tokens: string[]; origins: string[] };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const wantsTls = e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_API_KEY);
  const temporal: TemporalSettings = { namespace: e.TEMPORAL_NAMESPACE };
  if (e.TEMPORAL_ADDRESS) temporal.address = e.TEMPORAL_ADDRESS;
  if (e.TEMPORAL_HTTP_ADDRESS === 'off') temporal.httpOff = true;
  else if (e.TEMPORAL_HTTP_ADDRESS) temporal.httpAddress = e.TEMPORAL_HTTP_ADDRESS;
  if (e.TEMPORAL_API_KEY) temporal.apiKey = e.TEMPORAL_API_KEY;
  if (wantsTls) {
    temporal.tls = {};
    if (e.TEMPORAL_TLS_CERT) temporal.tls.certPath = e.TEMPORAL_TLS_CERT;
    if (e.TEMPORAL_TLS_KEY) temporal.tls.keyPath = e.TEMPORAL_TLS_KEY;
    if (e.TEMPORAL_TLS_CA) temporal.tls.caPath = e.TEMPORAL_TLS_CA;
    if (e.TEMPORAL_TLS_SERVER_NAME) temporal.tls.serverName = e.TEMPORAL_TLS_SERVER_NAME;
  }
  const config: Config = {
    temporal,
    taskQueue: e.TOURNIQUET_TASK_QUEUE,
    dataDir: resolve(e.TOURNIQUET_DATA_DIR),
    evidenceDir: resolve(e.TOURNIQUET_EVIDENCE_DIR ?? resolve(e.TOURNIQUET_DATA_DIR, 'evidence')),
    demoDir: resolve(e.TOURNIQUET_DEMO_DIR ?? resolve(e.TOURNIQUET_DATA_DIR, 'demo')),
    policiesPath: resolve(e.TOURNIQUET_POLICIES),
    gateway: { host: e.TOURNIQUET_GATEWAY_HOST, port: e.TOURNIQUET_GATEWAY_PORT },
    dev: { port: e.TOURNIQUET_DEV_PORT, uiPort: e.TOURNIQUET_DEV_UI_PORT, httpPort: e.TOURNIQUET_DEV_HTTP_PORT },
    logLevel: e.LOG_LEVEL,
    metricsPort: e.TOURNIQUET_METRICS_PORT,
    metricsHost: e.TOURNIQUET_METRICS_HOST,
    decisions: { mode: e.TOURNIQUET_DECISIONS },
    aws: {
      region: e.TOURNIQUET_AWS_REGION,
      maxCloudTrailEvents: e.TOURNIQUET_AWS_CLOUDTRAIL_MAX_EVENTS,
      ...(e.TOURNIQUET_AWS_ENDPOINT_URL ? { endpoint: e.TOURNIQUET_AWS_ENDPOINT_URL } : {}),
    },
    codecServer: {
      host: e.TOURNIQUET_CODEC_HOST,
      port: e.TOURNIQUET_CODEC_PORT,
      tokens: (e.TOURNIQUET_CODEC_TOKEN ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      origins: [],
    },
  };
  if (e.TOURNIQUET_EVIDENCE_S3_BUCKET) {
    config.evidenceS3 = {
      bucket: e.TOURNIQUET_EVIDENCE_S3_BUCKET,
      region: e.TOURNIQUET_EVIDENCE_S3_REGION,
      forcePathStyle: e.TOURNIQUET_EVIDENCE_S3_FORCE_PATH_STYLE,
      retentionMode: e.TOURNIQUET_EVIDENCE_S3_RETENTION_MODE,
      ...(e.TOURNIQUET_EVIDENCE_S3_ENDPOINT ? { endpoint: e.TOURNIQUET_EVIDENCE_S3_ENDPOINT } : {}),
      ...(e.TOURNIQUET_EVIDENCE_S3_PREFIX ? { prefix: e.TOURNIQUET_EVIDENCE_S3_PREFIX } : {}),
      ...(e.TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS ? { retentionDays: e.TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS } : {}),
      ...(e.TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID && e.TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY
        ? {
            credentials: {
              accessKeyId: e.TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID,
              secretAccessKey: e.TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY,
            },
          }
        : {}),
    };
  }
  if (e.TOURNIQUET_ALLOWED_SIGNERS) config.decisions.allowedSignersPath = resolve(e.TOURNIQUET_ALLOWED_SIGNERS);
  if (e.TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY) config.decisions.slackGatewayPublicKey = e.TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY;
  if (e.TOURNIQUET_SLACK_GATEWAY_KEY) config.decisions.slackGatewayKeyPath = resolve(e.TOURNIQUET_SLACK_GATEWAY_KEY);
  const keys = payloadKeysFrom(e.TOURNIQUET_PAYLOAD_KEY, e.TOURNIQUET_PAYLOAD_KEY_FILE);
  if (keys) config.payloadKeys = keys;
  const breakGlass = e.TOURNIQUET_BREAKGLASS ? resolve(e.TOURNIQUET_BREAKGLASS) : DEFAULT_BREAKGLASS;
  if (e.TOURNIQUET_BREAKGLASS || existsSync(breakGlass)) config.breakGlassPath = breakGlass;
  if (e.TOURNIQUET_BREAKGLASS_SWEEP !== undefined) config.breakGlassSweepMs = e.TOURNIQUET_BREAKGLASS_SWEEP;
  if (e.TEMPORAL_SDK_METRICS_ADDRESS) config.sdkMetricsAddress = e.TEMPORAL_SDK_METRICS_ADDRESS;
  if (e.SLACK_BOT_TOKEN && e.SLACK_CHANNEL) {
    config.slack = { botToken: e.SLACK_BOT_TOKEN, channel: e.SLACK_CHANNEL, eventsPath: e.SLACK_EVENTS_PATH };
    if (e.SLACK_SIGNING_SECRET) config.slack.signingSecret = e.SLACK_SIGNING_SECRET;
    if (e.SLACK_API_URL) config.slack.apiUrl = e.SLACK_API_URL;
  }
  if (e.GITHUB_TOKEN) config.github = { token: e.GITHUB_TOKEN, apiUrl: e.GITHUB_API_URL.replace(/\/+$/, '') };
  if (e.KUBECONFIG) config.kubernetes = { kubeconfig: e.KUBECONFIG };
  else if (e.KUBERNETES_SERVICE_HOST) config.kubernetes = {};
  if (e.TOURNIQUET_UI_URL) config.uiUrl = e.TOURNIQUET_UI_URL.replace(/\/$/, '');
  // The Temporal UI calls the codec server from the browser: its origin, the dev UI's by default.
  config.codecServer.origins = e.TOURNIQUET_CODEC_ORIGINS
    ? e.TOURNIQUET_CODEC_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : [
        ...(config.uiUrl ? [new URL(config.uiUrl).origin] : []),
        `http://127.0.0.1:${config.dev.uiPort}`,
        `http://localhost:${config.dev.uiPort}`,
      ];
  if (e.TOURNIQUET_WORKFLOW_BUNDLE) config.workflowBundle = resolve(e.TOURNIQUET_WORKFLOW_BUNDLE);
  if (e.TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS !== undefined) config.maxCachedWorkflows = e.TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS;
  return config;
}

/** The payload keys from the variable or the file; a bad one stops start-up naming the variable, never the key. */
function payloadKeysFrom(value: string | undefined, file: string | undefined): PayloadKeys | undefined {
  let spec = value;
  let source = 'TOURNIQUET_PAYLOAD_KEY';
  if (file) {
    source = `TOURNIQUET_PAYLOAD_KEY_FILE (${file})`;
    try {
      spec = readFileSync(resolve(file), 'utf8');
    } catch (err) {
      throw new ConfigError(
        `invalid configuration: cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  if (spec === undefined) return undefined;
  try {
    return parsePayloadKeys(spec, source);
  } catch (err) {
    if (err instanceof PayloadKeyError) throw new ConfigError(`invalid configuration: ${err.message}`);
    throw err;
  }
}

/** The address to use when none is configured: the embedded dev server's. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.dev.port}`;
}

/**
 * Where Temporal's HTTP API is, if anywhere: TEMPORAL_HTTP_ADDRESS, else the embedded dev server's
 * (started with it) when no cluster is configured. A cluster's HTTP API is used only when named:
 * its port is not derivable from the gRPC address.
 */
export function temporalHttpAddress(config: Config): string | undefined {
  if (config.temporal.httpOff) return undefined;
  return config.temporal.httpAddress ?? (config.temporal.address ? undefined : `127.0.0.1:${config.dev.httpPort}`);
}
