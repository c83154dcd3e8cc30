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
import { clientOn, connectNative } from '../worker/temporal-connection';
import { activityDepsFromConfig, createWorker } from '../worker/worker';
import { startSweepSchedule } from '../worker/sweep-schedule';
import { loadPolicyFile, type PolicyFile } from '../activities/approvals/policies';
import { encodeOpenSshPrivateKey, ensureKeys } from '../client/signing';
import { existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dataConverterFor } from '../worker/payload-codec';
import { gatewayDepsFromConfig } from '../gateway/deps';
import { startGateway } from '../gateway/server';

export async function runDev(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, 'tourniquet');
  installRuntime(config, logger);
  // One process, one registry: the gateway's /metrics shows the worker's incident metrics too.
  const metrics = new IncidentMetrics();
  const policies = loadPolicyFile(config.policiesPath); // a bad policy file stops us before anything starts
  config = withDemoKeys(config, policies);

  let server: DevServer | undefined;
  if (!config.temporal.address) {
    const { temporal } = ensureTemporalBinaries((line) => logger.info(line));
    server = await startDevServer({
      binary: temporal,
      dbFile: join(config.dataDir, 'temporal.db'),
      port: config.dev.port,
      uiPort: config.dev.uiPort,
      // the CLI finds it from the same settings (worker/config.ts temporalHttpAddress)
      ...(config.temporal.httpOff ? {} : { httpPort: config.dev.httpPort }),
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
  // The gateway (and the sweep schedule) on the worker's connection: the incidents an alert or a
  // Slack command opens start eagerly, their first workflow task handed to this worker with the start.
  const client = clientOn(connection, config);
  const dataConverter = dataConverterFor(config.payloadKeys);
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    deps,
    metrics,
    ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    ...(dataConverter ? { dataConverter } : {}),
  });
  await startSweepSchedule(client, {
    taskQueue: config.taskQueue,
    everyMs: config.breakGlassSweepMs,
    kubernetes: Boolean(config.kubernetes),
    logger,
  });
  const gateway = await startGateway({
    ...(await gatewayDepsFromConfig(config, client, logger)),
    metrics: metrics.registry,
    ...config.gateway,
  });

  console.log(
    [
      '',
      `Tourniquet is running${server ? ` on the embedded Temporal dev server (data in ${config.dataDir})` : ` against ${config.temporal.address}`}`,
      server ? `  Temporal UI     ${server.uiUrl}` : undefined,
      server?.httpAddress ? `  Temporal HTTP   ${server.httpAddress}  (the CLI's status and approve)` : undefined,
      `  Temporal        ${config.temporal.address}  namespace ${config.temporal.namespace}  task queue ${config.taskQueue}`,
      `  Gateway         ${gateway.url}  (GET /healthz, /readyz, /metrics)`,
      config.slack
        ? `  Slack           channel ${config.slack.channel}${config.slack.signingSecret ? `, events at ${gateway.url}${config.slack.eventsPath}` : ' (notifications only: no SLACK_SIGNING_SECRET)'}`
        : '  Slack           off (set SLACK_BOT_TOKEN, SLACK_CHANNEL, SLACK_SIGNING_SECRET)',
      `  Evidence        ${deps.store.location}`,
      `  Payloads        ${config.payloadKeys ? `encrypted (AES-256-GCM, key ${config.payloadKeys.currentId}); decode with \`tourniquet codec-server\`` : 'plain JSON (set TOURNIQUET_PAYLOAD_KEY to encrypt)'}`,
      `  Policies        ${config.policiesPath}`,
      config.decisions.mode === 'unauthenticated'
        ? '  Decisions       UNAUTHENTICATED (TOURNIQUET_DECISIONS=unauthenticated): anyone may decide as anyone; every record says so'
        : `  Decisions       signed; allowed signers ${config.decisions.allowedSignersPath}${config.decisions.allowedSignersPath?.startsWith(config.dataDir) ? ' (demo keys: the CLI finds them for --as)' : ''}`,
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
    await connection.close(); // the client's too
    await server?.stop();
    console.log('Tourniquet stopped.');
  }
}

/**
 * The embedded demo signs decisions as production does: unless allowed signers are configured, it
 * gives every identity the policy file names a key in `<data dir>/keys` (where the CLI looks for
 * `--as`), and the Slack gateway a key of its own. Demo keys for demo identities: bring real ones.
 */
function withDemoKeys(config: Config, policies: PolicyFile): Config {
  if (config.decisions.allowedSignersPath || config.decisions.mode === 'unauthenticated') return config;
  const dir = join(config.dataDir, 'keys');
  const identities = new Set([...Object.values(policies.groups).flat(), ...Object.keys(policies.people)]);
  for (const policy of Object.values(policies.policies)) for (const ref of policy.approvers) if (!ref.startsWith('@')) identities.add(ref);
  const { allowedSigners } = ensureKeys(
    dir,
    [...identities].filter((id) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)),
  );
  const gatewayKey = join(dir, 'slack-gateway.key');
  if (!existsSync(gatewayKey)) {
    const pair = encodeOpenSshPrivateKey(randomBytes(32), 'tourniquet-slack-gateway');
    writeFileSync(gatewayKey, pair.privateKey, { mode: 0o600 });
    writeFileSync(`${gatewayKey}.pub`, `${pair.publicKey}\n`);
  }
  return {
    ...config,
    decisions: {
      ...config.decisions,
      allowedSignersPath: allowedSigners,
      slackGatewayKeyPath: config.decisions.slackGatewayKeyPath ?? gatewayKey,
      slackGatewayPublicKey: config.decisions.slackGatewayPublicKey ?? `${gatewayKey}.pub`,
    },
  };
}
