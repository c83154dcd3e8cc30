/**
 * The gateway with the real Bolt app in front of a suite's harness, its Web API client pointed at
 * the fake Slack: what Slack's servers would post to. `post` signs like Slack does.
 */
import pino, { type Logger } from 'pino';
import { Directory } from '../../activities/approvals/directory';
import { parsePolicyFile } from '../../activities/approvals/policies';
import { startGateway, type RunningGateway } from '../../gateway/server';
import { createSlackRouter } from '../../gateway/slack/app';
import { keyFileSigner } from '../../client/signing';
import type { FakeSlack } from './fake-slack';
import type { Harness } from './harness';
import { sign } from './slack-requests';

export interface SlackGateway {
  gateway: RunningGateway;
  /** posts a body to the Slack events endpoint, signed with the app's secret unless headers are given */
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startSlackGateway(
  h: Harness,
  fake: FakeSlack,
  options: { policies: unknown; token: string; secret: string; logger?: Logger },
): Promise<SlackGateway> {
  const slack = await createSlackRouter({
    temporal: h.client,
    taskQueue: h.taskQueue,
    directory: new Directory(parsePolicyFile(options.policies).people),
    signingSecret: options.secret,
    botToken: options.token,
    apiUrl: fake.url,
    eventsPath: '/slack/events',
    logger: options.logger ?? pino({ level: 'silent' }),
    signer: keyFileSigner(process.env.TOURNIQUET_SLACK_GATEWAY_KEY!),
  });
  const gateway = await startGateway({ client: h.client, slack, host: '127.0.0.1', port: 0 });
  return {
    gateway,
    async post(body, headers) {
      const res = await fetch(`${gateway.url}/slack/events`, { method: 'POST', body, headers: headers ?? sign(options.secret, body) });
      return { status: res.status, body: await res.text() };
    },
    close: () => gateway.close(),
  };
}
