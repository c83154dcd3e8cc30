/** The Temporal Runtime for this process: quiet core logs, and SDK metrics when asked for. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Config } from './config';

export function installRuntime(config: Pick<Config, 'sdkMetricsAddress'>): void {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    ...(config.sdkMetricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.sdkMetricsAddress } } } } : {}),
  });
}
