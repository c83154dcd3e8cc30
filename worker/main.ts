/**
 * `npm run worker`: the worker alone, against the configured Temporal cluster. It is one Node process
 * (`node --import tsx worker/main.ts`, no tsx launcher in between), so SIGTERM from npm, systemd or
 * Kubernetes reaches it and it drains before exiting (docs/running.md).
 */
import type { Logger } from 'pino';
import { S3EvidenceStore } from '../activities/evidence/s3-store';
import { IncidentMetrics } from '../activities/metrics/incident-metrics';
import { ConfigError, loadConfig, temporalAddress } from './config';
import { createLogger } from './logger';
import { startMetricsServer } from './metrics-server';
import { installRuntime } from './runtime';
import { connectNative } from './temporal-connection';
import { dataConverterFor } from './payload-codec';
import { startSweepSchedule } from './sweep-schedule';
import { activityDepsFromConfig, createWorker } from './worker';
import { checkSearchAttributes, MissingSearchAttributesError } from './search-attributes-check';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'tourniquet-worker');
  installRuntime(config, logger);
  const metrics = new IncidentMetrics();
  const deps = activityDepsFromConfig(config, logger, metrics);
  const connection = await connectNative(config);
  const unchecked = await checkSearchAttributes(connection, config.temporal.namespace);
  if (unchecked) logger.warn(unchecked);
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    deps,
    metrics,
    ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    ...(config.payloadKeys ? { dataConverter: dataConverterFor(config.payloadKeys)! } : {}),
    ...(config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : {}),
  });
  if (deps.trust.mode === 'unauthenticated')
    logger.warn('TOURNIQUET_DECISIONS=unauthenticated: decisions are taken without signatures (demo only); every gate and export says so');
  else if (Object.keys(deps.trust.signers).length === 0 && deps.trust.slackGateway.length === 0) {
    logger.warn(
      'no allowed signers (TOURNIQUET_ALLOWED_SIGNERS) and no Slack gateway key (TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY): every decision will be refused as unauthenticated',
    );
  }
  if (deps.store instanceof S3EvidenceStore) await checkEvidenceBucket(deps.store, logger);
  // The worker's own client (its connection and data converter): the schedule starts workflows it runs.
  await startSweepSchedule(worker.client!, {
    taskQueue: config.taskQueue,
    everyMs: config.breakGlassSweepMs,
    kubernetes: Boolean(config.kubernetes),
    logger,
  });
  const metricsServer = config.metricsPort
    ? await startMetricsServer(metrics.registry, config.metricsHost, config.metricsPort).catch((err: NodeJS.ErrnoException) => {
        throw new ConfigError(
          err.code === 'EADDRINUSE'
            ? `the worker's /metrics cannot listen on ${config.metricsHost}:${config.metricsPort}: the port is in use (another worker on this host?). ` +
                'Give each worker its own TOURNIQUET_METRICS_PORT, or 0 to turn its /metrics off.'
            : `the worker's /metrics cannot listen on ${config.metricsHost}:${config.metricsPort} (TOURNIQUET_METRICS_HOST, TOURNIQUET_METRICS_PORT): ${err.message}`,
        );
      })
    : undefined;
  logger.info(
    {
      address: temporalAddress(config),
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      metrics: metricsServer?.url,
      evidence: deps.store.location,
      payloadEncryption: config.payloadKeys ? `AES-256-GCM, key ${config.payloadKeys.currentId}` : 'off',
    },
    'worker running',
  );
  try {
    // Returns once SIGTERM or SIGINT (the Runtime's shutdown signals) has let running tasks finish.
    await worker.run();
  } finally {
    await metricsServer?.close();
    await connection.close();
  }
  logger.info('worker stopped');
}

/** Says at start-up what protects the evidence, and warns (never stops) when the bucket cannot be read yet. */
async function checkEvidenceBucket(store: S3EvidenceStore, logger: Logger): Promise<void> {
  try {
    const { objectLock, retention } = await store.protectionOf();
    if (!objectLock)
      logger.warn(
        `evidence bucket ${store.location} has no Object Lock: Tourniquet never overwrites an artifact, but anyone with write access to the bucket can`,
      );
    else if (!retention)
      logger.warn(
        `evidence bucket ${store.location} has Object Lock but no default retention: set TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS or a default rule, or artifacts are not locked`,
      );
    else logger.info({ evidence: store.location, ...retention }, 'evidence under Object Lock retention');
  } catch (err) {
    logger.warn(`evidence bucket ${store.location} cannot be read at start-up (evidence writes retry): ${(err as Error).message}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof MissingSearchAttributesError ? err.message : err);
  process.exit(1);
});
