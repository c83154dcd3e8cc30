/** `npm run worker`: the worker alone, against the configured Temporal cluster. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig, temporalAddress } from './config';
import { createLogger } from './logger';
import { connectNative } from './temporal-connection';
import { activityDepsFromConfig, createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'tourniquet-worker');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const deps = activityDepsFromConfig(config, logger);
  const connection = await connectNative(config);
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    deps,
    ...(config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : {}),
  });
  logger.info({ address: temporalAddress(config), namespace: config.temporal.namespace, taskQueue: config.taskQueue }, 'worker running');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
