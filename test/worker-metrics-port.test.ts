/**
 * Two standalone workers on one host: the second cannot take the first's /metrics port, and says
 * which setting to change instead of dying with a raw EADDRINUSE stack trace. /metrics listens on
 * its own host setting, not the gateway's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';
import { spawnWorker, type WorkerProcess } from './support/worker-process';

let h: Harness;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await h?.stop();
});

it('a second worker on a taken metrics port stops at start-up naming TOURNIQUET_METRICS_PORT', async () => {
  const port = await freePort();
  const first = spawnWorker(h, { TOURNIQUET_METRICS_PORT: String(port), TOURNIQUET_GATEWAY_HOST: '127.0.0.2' });
  workers.push(first);
  // served on TOURNIQUET_METRICS_HOST (127.0.0.1 by default), whatever the gateway's host is
  await waitFor('the first worker /metrics', async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).ok, {
    timeoutMs: 60_000,
    intervalMs: 250,
  });

  const second = spawnWorker(h, { TOURNIQUET_METRICS_PORT: String(port) });
  workers.push(second);
  const code = await new Promise<number | null>((resolve) => second.child.once('exit', resolve));
  expect(code).toBe(1);
  expect(second.output()).toContain(
    `the worker's /metrics cannot listen on 127.0.0.1:${port}: the port is in use (another worker on this host?). Give each worker its own TOURNIQUET_METRICS_PORT, or 0 to turn its /metrics off.`,
  );
  expect(second.output()).not.toMatch(/at Server\.setupListenHandle|node:net/);
  expect(first.child.exitCode).toBeNull();
});
