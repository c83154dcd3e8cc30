/**
 * `npm run gateway` as production runs it: its own process on its own Temporal connection (Rust
 * core's, a NativeConnection), here behind a TLS front that demands a client certificate and
 * records the API key, as an mTLS cluster or Temporal Cloud would. It opens an incident from an
 * alert, says why it is not ready once Temporal is gone, turns alerts away with 503 and Retry-After
 * meanwhile, and stops cleanly on SIGTERM; a gateway that cannot reach Temporal at start-up says so
 * in one line, naming the address.
 */
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { spawnEntry, type ChildOutput } from './support/child-process';
import { startTlsProxy, type TlsProxy } from './support/grpc-tls-proxy';
import { bearer, post } from './support/intake';
import { generateCerts } from './support/kube/certs';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const intakeToken = `intake-${randomUUID()}`;
const apiKey = `api-key-${randomUUID()}`;
const taskQueue = `gateway-process-${randomUUID()}`;
const procs: ChildOutput[] = [];
const started: string[] = [];
let dir: string;
let proxy: TlsProxy | undefined;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-gateway-process-'));
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await proxy?.cut();
  for (const id of started)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await connection?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function gatewayWith(env: Record<string, string>): Promise<{ gateway: ChildOutput; url: string }> {
  const port = await freePort();
  const gateway = spawnEntry(['gateway/main.ts'], {
    TOURNIQUET_TASK_QUEUE: taskQueue,
    TOURNIQUET_DATA_DIR: dir,
    TOURNIQUET_INTAKE_TOKEN: intakeToken,
    TOURNIQUET_GATEWAY_HOST: '127.0.0.1',
    TOURNIQUET_GATEWAY_PORT: String(port),
    ...env,
  });
  procs.push(gateway);
  return { gateway, url: `http://127.0.0.1:${port}` };
}

const exited = (gateway: ChildOutput) =>
  waitFor('the gateway to exit', () => (gateway.child.exitCode !== null || gateway.child.signalCode !== null ? true : undefined), {
    timeoutMs: 60_000,
  });

describe('the gateway process on a TLS cluster with a client certificate and an API key', () => {
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    const certs = await generateCerts(dir);
    proxy = await startTlsProxy({
      upstream: inject('temporalAddress'),
      cert: await readFile(certs.servingCertFile, 'utf8'),
      key: await readFile(certs.servingKeyFile, 'utf8'),
      ca: certs.caCert,
    });
    tlsEnv = {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_CA: certs.caCertFile,
      TEMPORAL_TLS_SERVER_NAME: 'kubernetes.default.svc',
      // generateCerts writes the client pair (CN tourniquet-test-admin) next to the CA
      TEMPORAL_TLS_CERT: join(dir, 'admin.crt'),
      TEMPORAL_TLS_KEY: join(dir, 'admin.key'),
      TEMPORAL_API_KEY: apiKey,
    };
  }, 60_000);

  it('opens an incident from an alert, over TLS, presenting its certificate and its API key', async () => {
    const { gateway, url } = await gatewayWith(tlsEnv);
    await gateway.waitFor('gateway listening');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const answer = await post(
      `${url}/alerts`,
      { source: 'demo', title: 'gateway process', fields: { service: 'gw-proc' } },
      bearer(intakeToken),
    );
    expect(answer).toMatchObject({ status: 202, body: { status: 'new' } });
    const id = answer.body.incidentId as string;
    started.push(id);
    const described = await client.workflow.getHandle(id).describe();
    expect([described.status.name, described.taskQueue]).toEqual(['RUNNING', taskQueue]);
    const start = proxy!.calls.find((c) => c.path.endsWith('/StartWorkflowExecution'));
    expect(start).toEqual({ path: expect.any(String), authorization: `Bearer ${apiKey}`, clientCertSubject: 'tourniquet-test-admin' });
    expect(proxy!.calls.every((c) => c.authorization === `Bearer ${apiKey}`)).toBe(true);

    // Temporal gone: not ready, with a reason a person reads; alerts turned away for a retry, not lost as 4xx
    await proxy!.cut();
    const asked = Date.now();
    const ready = await fetch(`${url}/readyz`);
    // within its 2 s deadline (and a loaded machine's margin): the native client's own retries would take ~9 s
    expect(Date.now() - asked).toBeLessThan(6_000);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ok: false,
      temporal: 'unreachable',
      reason: expect.stringMatching(/^(cannot connect to Temporal|Temporal did not answer within 2 s)/),
    });
    const refused = await fetch(`${url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(intakeToken) },
      body: JSON.stringify({ source: 'demo', title: 'while Temporal is gone', fields: { service: 'gw-proc-2' } }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);

    // SIGTERM: the HTTP server and the connection closed, exit 0
    gateway.child.kill('SIGTERM');
    await exited(gateway);
    expect([gateway.child.exitCode, gateway.child.signalCode]).toEqual([0, null]);
  }, 120_000);

  it('refuses a server whose certificate is not for the configured server name, saying where it tried', async () => {
    const live = await startTlsProxy({
      upstream: inject('temporalAddress'),
      cert: await readFile(join(dir, 'serving.crt'), 'utf8'),
      key: await readFile(join(dir, 'serving.key'), 'utf8'),
      ca: await readFile(join(dir, 'ca.crt'), 'utf8'),
    });
    try {
      const { gateway } = await gatewayWith({
        ...tlsEnv,
        TEMPORAL_ADDRESS: live.address,
        TEMPORAL_TLS_SERVER_NAME: 'temporal.elsewhere.test',
      });
      await exited(gateway);
      expect(gateway.child.exitCode).toBe(1);
      expect(gateway.output()).toContain(`cannot reach Temporal at ${live.address}: `);
      expect(gateway.output()).not.toContain('gateway listening');
      expect(live.calls).toEqual([]);
    } finally {
      await live.cut();
    }
  }, 60_000);
});

it('exits at start-up with one line naming the address when Temporal does not answer', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const { gateway } = await gatewayWith({ TEMPORAL_ADDRESS: address });
  await exited(gateway);
  expect(gateway.child.exitCode).toBe(1);
  expect(gateway.output()).toMatch(new RegExp(`^cannot reach Temporal at ${address.replace(/\./g, '\\.')}: .+\\n$`));
}, 60_000);
