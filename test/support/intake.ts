/**
 * Helpers for the intake suites: realistic provider payloads from test/fixtures/alerts/, a gateway
 * with alert intake on a free loopback port (on the route table a suite names), HTTP posting,
 * GitHub webhook deliveries, and cleanup of the incidents started.
 */
import { Webhooks } from '@octokit/webhooks';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIntakeConfig, type IntakeConfig } from '../../gateway/intake/config';
import { createIntakeRouter } from '../../gateway/intake/router';
import { startGateway, type RunningGateway } from '../../gateway/server';
import type { RouteRule } from '../../gateway/intake/routing';
import type { IncidentRequestInput } from '../../workflows';

export const TOKENS = {
  falco: 'falco-token-0123456789abcdef',
  alertmanager: 'am-token-0123456789abcdef',
  generic: 'generic-token-0123456789abcdef',
  github: 'github-webhook-secret-0123456789',
};

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'alerts', name), 'utf8')) as T;
}

/**
 * GitHub's `created` secret scanning delivery (the fixture), dated `ageMs` ago: intake refuses
 * deliveries whose event is older than its window, so a fixed date would age out.
 */
export function githubLeak(ageMs = 60_000): any {
  const payload = fixture('github-secret-scanning-created.json');
  payload.alert.created_at = new Date(Math.floor((Date.now() - ageMs) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return payload;
}

export function intakeConfig(overrides: Partial<IntakeConfig> = {}): IntakeConfig {
  const config = loadIntakeConfig({
    TOURNIQUET_INTAKE_TOKEN_FALCO: TOKENS.falco,
    TOURNIQUET_INTAKE_TOKEN_ALERTMANAGER: TOKENS.alertmanager,
    TOURNIQUET_INTAKE_TOKEN_GENERIC: TOKENS.generic,
    TOURNIQUET_GITHUB_WEBHOOK_SECRET: TOKENS.github,
    TOURNIQUET_INTAKE_MAX_BODY: '64kb',
    TOURNIQUET_INTAKE_COALESCE_MS: '100',
    TOURNIQUET_INTAKE_COALESCE_MAX_MS: '400',
  });
  return { ...config, ...overrides };
}

export interface IntakeGateway extends RunningGateway {
  stats(): ReturnType<ReturnType<typeof createIntakeRouter>['stats']>;
}

export interface IntakeGatewayOptions {
  /** the route table: DEMO_ROUTES (./routes) to test intake itself, alertRoutes to test the shipped routes */
  routes: readonly RouteRule[];
  config?: IntakeConfig;
}

export async function startIntakeGateway(client: Client, taskQueue: string, options: IntakeGatewayOptions): Promise<IntakeGateway> {
  const intake = createIntakeRouter({ client, taskQueue, config: options.config ?? intakeConfig(), routes: options.routes });
  const gateway = await startGateway({ client, intake, host: '127.0.0.1', port: 0 });
  return { ...gateway, stats: () => intake.stats() };
}

export interface Answer {
  status: number;
  body: any;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs over a keep-alive connection pool (fetch is several times slower for storms). */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const target = new URL(url);
  const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode!, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface GitHubDelivery {
  body: string;
  headers: Record<string, string>;
}

/** A GitHub webhook delivery as GitHub sends it: the raw body signed (X-Hub-Signature-256) with the webhook secret. */
export async function signGitHub(event: string, payload: unknown, secret = TOKENS.github): Promise<GitHubDelivery> {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await new Webhooks({ secret }).sign(body),
    },
  };
}

/** Posts a delivery (again: a replay is the same bytes and headers) to a gateway's GitHub endpoint. */
export function postGitHub(gatewayUrl: string, delivery: GitHubDelivery): Promise<Answer> {
  return post(`${gatewayUrl}/alerts/github`, delivery.body, delivery.headers);
}

/** Delivers a GitHub webhook as GitHub does. */
export async function deliverGitHub(gatewayUrl: string, event: string, payload: unknown, secret = TOKENS.github): Promise<Answer> {
  return postGitHub(gatewayUrl, await signGitHub(event, payload, secret));
}

/** The request an incident was started with (its first history event), as the gateway sent it. */
export async function startRequest(client: Client, incidentId: string): Promise<IncidentRequestInput> {
  const history = await client.workflow.getHandle(incidentId).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as IncidentRequestInput;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function bounded<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

/** Cancels the incidents a suite started and waits for them to close, so nothing is left running. */
export async function cancelAll(client: Client, ids: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(ids)].map(async (id) => {
      const handle = client.workflow.getHandle(id);
      await handle.cancel().catch(() => undefined);
      await handle.result().catch(() => undefined);
    }),
  );
}
