/**
 * `tourniquet dev` (`npm run dev`): the whole stack on one machine. Uses the configured cluster
 * when TEMPORAL_ADDRESS is set, the embedded dev server otherwise.
 */
import { IncidentMetrics } from '../activities/metrics/incident-metrics';
import { installRuntime } from '../worker/runtime';
import { join } from 'node:path';
import { ensureTemporalBinaries } from '../tools/temporal-binaries';
import type { Config } from '../worker/config';
import { startDevServer, type DevServer } from '../worker/dev-server';
import { createLogger } from '../worker/logger';
import { connectClient, connectNative } from '../worker/temporal-connection';
import { activityDepsFromConfig, createWorker } from '../worker/worker';
import { dataConverterFor } from '../worker/payload-codec';
import { loadPolicyFile } from '../activities/approvals/policies';
import { gatewayDepsFromConfig } from '../gateway/deps';
import { startGateway } from '../gateway/server';

export async function runDev(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, 'tourniquet');
  installRuntime(config);
  // One process, one registry: the gateway's /metrics shows the worker's incident metrics too.
  const metrics = new IncidentMetrics();
  loadPolicyFile(config.policiesPath); // a bad policy file stops us before anything starts

  let server: DevServer | undefined;
  if (!config.temporal.address) {
    const { temporal } = ensureTemporalBinaries((line) => logger.info(line));
    server = await startDevServer({
      binary: temporal,
      dbFile: join(config.dataDir, 'temporal.db'),
      port: config.dev.port,
      uiPort: config.dev.uiPort,
      namespace: config.temporal.namespace,
    });
    config = { ...config, uiUrl: config.uiUrl ?? server.uiUrl, temporal: { ...config.temporal, address: server.address } };
  }

  const deps = activityDepsFromConfig(config, logger, metrics);
  const connection = await connectNative(config).catch((err: Error) => {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address}: ${err.message}` +
        (server ? '' : '\n(TEMPORAL_ADDRESS is set, so no embedded server was started; unset it to use the embedded default)'),
    );
  });
  const client = await connectClient(config);
  const dataConverter = dataConverterFor(config.payloadKeys);
  const worker = await createWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.taskQueue, deps, metrics, ...(dataConverter ? { dataConverter } : {}) });
  const gateway = await startGateway({ ...(await gatewayDepsFromConfig(config, client, logger)), metrics: metrics.registry, ...config.gateway });

  console.log(
    [
      '',
      `Tourniquet is running${server ? ` on the embedded Temporal dev server (data in ${config.dataDir})` : ` against ${config.temporal.address}`}`,
      server ? `  Temporal UI     ${server.uiUrl}` : undefined,
      `  Temporal        ${config.temporal.address}  namespace ${config.temporal.namespace}  task queue ${config.taskQueue}`,
      `  Gateway         ${gateway.url}  (GET /healthz, /readyz, /metrics)`,
      config.slack ? `  Slack           channel ${config.slack.channel}${config.slack.signingSecret ? `, events at ${gateway.url}${config.slack.eventsPath}` : ' (notifications only: no SLACK_SIGNING_SECRET)'}` : '  Slack           off (set SLACK_BOT_TOKEN, SLACK_CHANNEL, SLACK_SIGNING_SECRET)',
      `  Evidence        ${config.evidenceDir}`,
      `  Payloads        ${config.payloadKeys ? `encrypted (AES-256-GCM, key ${config.payloadKeys.currentId}); decode with \`tourniquet codec-server\`` : 'plain JSON (set TOURNIQUET_PAYLOAD_KEY to encrypt)'}`,
      `  Policies        ${config.policiesPath}`,
      config.kubernetes
        ? `  Kubernetes      ${config.kubernetes.kubeconfig ? `KUBECONFIG ${config.kubernetes.kubeconfig}` : 'in-cluster ServiceAccount'}; break-glass catalogue ${config.breakGlassPath ?? 'none (set TOURNIQUET_BREAKGLASS)'}`
        : '  Kubernetes      off (set KUBECONFIG for isolate-pod, rollback-deploy, break-glass)',
      '',
      'In another terminal:  bin/tourniquet start demo --requester alice',
      'Ctrl-C stops everything; incidents survive a restart.',
      '',
    ]
      .filter((l) => l !== undefined)
      .join('\n'),
  );

  let stopping = false;
  void server?.exited.then((code) => {
    if (stopping) return;
    console.error(`The Temporal dev server exited unexpectedly (code ${code}); stopping Tourniquet.`);
    process.exitCode = 1;
    worker.shutdown();
  });
  try {
    // Worker.run() drains and returns on SIGINT/SIGTERM.
    await worker.run();
  } finally {
    stopping = true;
    await gateway.close();
    await client.connection.close();
    await connection.close();
    await server?.stop();
    console.log('Tourniquet stopped.');
  }
}
