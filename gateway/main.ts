/** `npm run gateway`: the HTTP gateway alone, against the configured Temporal cluster. */
import { ConfigError, loadConfig } from '../worker/config';
import { createLogger } from '../worker/logger';
import { connectClient } from '../worker/temporal-connection';
import { gatewayDepsFromConfig } from './deps';
import { IntakeConfigError } from './intake/config';
import { RouteConfigError } from './intake/routing';
import { startGateway } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'tourniquet-gateway');
  const client = await connectClient(config);
  const gateway = await startGateway({ ...(await gatewayDepsFromConfig(config, client, logger)), ...config.gateway });
  logger.info({ url: gateway.url }, 'gateway listening');
  const stop = async () => {
    await gateway.close();
    await client.connection.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof IntakeConfigError || err instanceof RouteConfigError;
  console.error(known ? err.message : err);
  process.exit(1);
});
