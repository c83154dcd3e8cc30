/** What the gateway is made of, from configuration: shared by `npm run gateway` and `tourniquet dev`. */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Directory } from '../activities/approvals/directory';
import { loadPolicyFile } from '../activities/approvals/policies';
import type { Config } from '../worker/config';
import { incidentUrlFor } from '../worker/worker';
import type { GatewayDeps } from './app';
import { loadIntakeConfig } from './intake/config';
import { createIntakeRouter } from './intake/router';
import { createSlackRouter } from './slack/app';
import { Registry } from 'prom-client';

export async function gatewayDepsFromConfig(config: Config, client: Client, logger: Logger): Promise<GatewayDeps> {
  // Its own registry; `tourniquet dev` passes the worker's instead, so one /metrics shows both.
  const deps: GatewayDeps = { client, metrics: new Registry() };
  deps.intake = createIntakeRouter({ client, taskQueue: config.taskQueue, config: loadIntakeConfig(), logger });
  const slack = config.slack;
  if (slack && !slack.signingSecret) logger.warn('SLACK_SIGNING_SECRET is not set: Slack buttons and commands are off (notifications still go out)');
  if (slack?.signingSecret) {
    const incidentUrl = incidentUrlFor(config);
    deps.slack = await createSlackRouter({
      temporal: client,
      taskQueue: config.taskQueue,
      directory: new Directory(loadPolicyFile(config.policiesPath).people),
      signingSecret: slack.signingSecret,
      botToken: slack.botToken,
      eventsPath: slack.eventsPath,
      logger,
      ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
      ...(incidentUrl ? { incidentUrl } : {}),
    });
  }
  return deps;
}
