/** The gateway's readiness probe: 200 while Temporal answers, 503 with a short readable reason while it does not. */
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { startGateway, type RunningGateway } from '../gateway/server';
import { freePort } from './support/ports';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function gatewayOn(address: string): Promise<RunningGateway> {
  const connection = Connection.lazy({ address, connectTimeout: 1_000 });
  closers.push(() => connection.close());
  const gateway = await startGateway({ client: new Client({ connection }), host: '127.0.0.1', port: 0 });
  closers.push(() => gateway.close());
  return gateway;
}

describe('GET /readyz', () => {
  it('should answer 200 while Temporal answers', async () => {
    const gateway = await gatewayOn(inject('temporalAddress'));
    const res = await fetch(`${gateway.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, temporal: 'reachable' });
  });

  it('should answer 503 with a readable reason, not gRPC text, while Temporal is down', async () => {
    const gateway = await gatewayOn(`127.0.0.1:${await freePort()}`);
    const res = await fetch(`${gateway.url}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toEqual({
      ok: false,
      temporal: 'unreachable',
      reason: expect.stringMatching(/^(cannot connect to Temporal|Temporal did not answer within 2 s)/),
    });
    expect(JSON.stringify(body)).not.toMatch(/UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|remote_addr/);
  });
});
