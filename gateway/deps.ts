/** What the gateway is made of, from configuration: shared by `npm run gateway` and `tourniquet dev`. */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Directory } from '../activities/approvals/directory';
import { keyFileSigner } from '../client/signing';
import { loadPolicyFile } from '../activities/approvals/policies';
import type { Config } from '../worker/config';
import { incidentUrlFor } from '../worker/incident-url';
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
  if (slack && !slack.signingSecret)
    logger.warn('SLACK_SIGNING_SECRET is not set: Slack buttons and commands are off (notifications still go out)');
  if (slack?.signingSecret) {
    const incidentUrl = incidentUrlFor(config);
    const keyPath = config.decisions.slackGatewayKeyPath;
    if (!keyPath && config.decisions.mode === 'signed') {
      logger.warn('TOURNIQUET_SLACK_GATEWAY_KEY is not set: decisions made in Slack cannot be signed, and the engine will refuse them');
    }
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
      ...(keyPath ? { signer: keyFileSigner(keyPath) } : {}),
    });
  }
  return deps;
}
