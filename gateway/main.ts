/** `npm run gateway`: the HTTP gateway alone, against the configured Temporal cluster. */
import { ConfigError, loadConfig, temporalAddress } from '../worker/config';
import { createLogger } from '../worker/logger';
import { installRuntime } from '../worker/runtime';
import { clientOn, connectNative, withDeadlinesKept } from '../worker/temporal-connection';
import { gatewayDepsFromConfig } from './deps';
import { IntakeConfigError } from './intake/config';
import { RouteConfigError } from './intake/routing';
import { startGateway } from './server';

class TemporalUnreachableError extends Error {}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'tourniquet-gateway');
  // The SDK's own log lines as ours; its metrics stay the worker's (one TEMPORAL_SDK_METRICS_ADDRESS, one binder).
  installRuntime({ logLevel: config.logLevel }, logger);
  // Rust core's gRPC client, as the worker's: a third less of the gateway's CPU per opening alert than
  // grpc-js (docs/development.md, benchmarks). With no worker in this process, its starts are never eager.
  const connection = await connectNative(config).catch((err: Error) => {
    throw new TemporalUnreachableError(`cannot reach Temporal at ${temporalAddress(config)}: ${err.message}`);
  });
  const client = clientOn(withDeadlinesKept(connection), config);
  const gateway = await startGateway({ ...(await gatewayDepsFromConfig(config, client, logger)), ...config.gateway });
  logger.info({ url: gateway.url }, 'gateway listening');
  const stop = async () => {
    await gateway.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  const known =
    err instanceof ConfigError ||
    err instanceof IntakeConfigError ||
    err instanceof RouteConfigError ||
    err instanceof TemporalUnreachableError;
  console.error(known ? err.message : err);
  process.exit(1);
});
