/**
 * `status`, `approve` and `deny` over Temporal's HTTP API (cli/http-path.ts) say exactly what they
 * say over gRPC: the same output, --json shapes, refusal codes and exit codes. Each case runs the
 * real command both ways; the HTTP runs get a gRPC address where nothing listens, so an answer can
 * only have come over HTTP.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIncident } from '../client';
import { runCliWith, type CliResult } from './support/cli';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { freePort } from './support/ports';
import { parsePayloadKeys } from '../worker/payload-codec';
import { randomBytes } from 'node:crypto';

const CLI_TEST_TIMEOUT_MS = 180_000;
const httpAddress = inject('temporalHttpAddress');

/** The two ways, each with the environment that forces it. */
async function ways(extra: Record<string, string> = {}) {
  const deadGrpc = `127.0.0.1:${await freePort()}`;
  return {
    grpc: { TEMPORAL_HTTP_ADDRESS: 'off', ...extra },
    http: { TEMPORAL_HTTP_ADDRESS: httpAddress, TEMPORAL_ADDRESS: deadGrpc, ...extra },
  };
}

describe.skipIf(!httpAddress)('the CLI over Temporal HTTP API', () => {
  let h: Harness;
  let env: Awaited<ReturnType<typeof ways>>;
  const open = async (service: string) => {
    const id = await startIncident(h.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: h.taskQueue });
    await waitForGate(h.client, id);
    return id;
  };
  const both = async (...args: string[]): Promise<{ grpc: CliResult; http: CliResult }> => {
    const [grpc, http] = await Promise.all([runCliWith(h, env.grpc, ...args), runCliWith(h, env.http, ...args)]);
    return { grpc, http };
  };

  beforeAll(async () => {
    h = await startHarness();
    env = await ways();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it(
    'reads status and refuses decisions word for word as over gRPC',
    async () => {
      const id = await open(`http-${process.pid}`);
      for (const args of [
        ['status', id, '--json'],
        ['approve', id, '--as', 'alice'],
        ['approve', id, '--as', 'alice', '--json'],
        ['approve', id, '--as', 'bob', '--gate', 'g9'],
        ['approve', id, '--as', 'bob', '--gate', 'g9', '--json'],
        ['approve', id, '--as', 'bob', '--digest', 'f'.repeat(64), '--json'],
        ['status', 'inc-demo-nosuchone'],
        ['approve', 'inc-demo-nosuchone', '--as', 'bob'],
      ]) {
        const { grpc, http } = await both(...args);
        expect(http, args.join(' ')).toEqual(grpc);
      }
      const self = await runCliWith(h, env.http, 'approve', id, '--as', 'alice');
      expect(self.code).toBe(2);
      expect(self.stdout.trim()).toBe('refused (SelfApproval): alice requested this incident and cannot approve their own request');
      const missing = await runCliWith(h, env.http, 'status', 'inc-demo-nosuchone');
      expect(missing).toEqual({ code: 1, stdout: '', stderr: 'workflow not found for ID: inc-demo-nosuchone\n' });

      const human = await both('status', id);
      expect(human.http.code).toBe(0);
      expect(human.http.stdout).toContain(`${id}  AWAITING-APPROVAL`);
      // the human view shows times relative to now: the same lines, once the clock is taken out
      const clockless = (s: string) => s.replace(/\d+(\.\d+)?\s?(ms|s|m|h)\b/g, 'T');
      expect(clockless(human.http.stdout)).toBe(clockless(human.grpc.stdout));
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'applies an approval and a denial with the same output and --json shape, and refuses a second vote as gRPC does',
    async () => {
      const [a, b] = await Promise.all([open(`http-a-${process.pid}`), open(`http-b-${process.pid}`)]);
      const [viaGrpc, viaHttp] = await Promise.all([
        runCliWith(h, env.grpc, 'approve', a, '--as', 'bob', '--reason', 'evidence reviewed', '--json'),
        runCliWith(h, env.http, 'approve', b, '--as', 'bob', '--reason', 'evidence reviewed', '--json'),
      ]);
      expect(viaHttp.code).toBe(0);
      const shape = (r: CliResult, id: string, service: string) =>
        JSON.parse(r.stdout.replaceAll(id, 'ID').replaceAll(service, 'SERVICE')) as Record<string, unknown>;
      const [grpcOut, httpOut] = [shape(viaGrpc, a, `http-a-${process.pid}`), shape(viaHttp, b, `http-b-${process.pid}`)];
      expect(httpOut).toMatchObject({
        applied: true,
        gate: { id: 'g1', step: 'Quarantine service SERVICE' },
        result: { status: 'approved' },
      });
      // digests and run start times differ between two incidents; the shape and every other field do not
      const strip = (o: Record<string, unknown>) =>
        JSON.parse(JSON.stringify(o, (k, v) => (['digest', 'runStartedAt'].includes(k) ? typeof v : v)));
      expect(strip(httpOut)).toEqual(strip(grpcOut));

      // The signed vote is the engine's record: its statement verified, so the signature bound the same fields.
      const status = JSON.parse((await runCliWith(h, env.http, 'status', b, '--json')).stdout);
      expect(status.gates[0].votes).toEqual([
        expect.objectContaining({ approver: 'bob', decision: 'approve', via: 'cli', signer: expect.anything() }),
      ]);

      for (const id of [a, b]) {
        const again = await both('approve', id, '--as', 'carol');
        expect(again.http).toEqual(again.grpc);
        expect(again.http.code).toBe(2);
      }

      const [c, d] = await Promise.all([open(`http-c-${process.pid}`), open(`http-d-${process.pid}`)]);
      const [denyGrpc, denyHttp] = await Promise.all([
        runCliWith(h, env.grpc, 'deny', c, '--as', 'bob', '--reason', 'not this one'),
        runCliWith(h, env.http, 'deny', d, '--as', 'bob', '--reason', 'not this one'),
      ]);
      expect(denyHttp.code).toBe(0);
      expect(denyHttp.stdout.replace(`http-d-${process.pid}`, 'S')).toBe(denyGrpc.stdout.replace(`http-c-${process.pid}`, 'S'));
      expect(denyHttp.stdout).toMatch(/^denied g1 \(Quarantine service http-d-\d+\): gate is denied\n$/);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'falls back to gRPC when nothing answers at the HTTP address',
    async () => {
      const id = await open(`http-fallback-${process.pid}`);
      const nowhere = { TEMPORAL_HTTP_ADDRESS: `127.0.0.1:${await freePort()}` };
      const [grpc, fallback] = await Promise.all([
        runCliWith(h, env.grpc, 'status', id, '--json'),
        runCliWith(h, nowhere, 'status', id, '--json'),
      ]);
      expect(fallback.code).toBe(0);
      expect(fallback).toEqual(grpc);
      const approved = await runCliWith(h, nowhere, 'approve', id, '--as', 'bob');
      expect(approved.stdout).toMatch(/^approved g1 \(Quarantine service http-fallback-\d+\): gate is approved\n$/);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe.skipIf(!httpAddress)('the CLI over Temporal HTTP API with payload encryption on', () => {
  const key = randomBytes(32).toString('base64');
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ payloadKeys: parsePayloadKeys(`k1:${key}`, 'K') });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it(
    'reads the encrypted status and sends an encrypted decision the worker takes',
    async () => {
      const id = await startIncident(
        h.client,
        { playbook: 'demo', requester: 'alice', params: { service: `http-enc-${process.pid}` } },
        { taskQueue: h.taskQueue },
      );
      await waitForGate(h.client, id);
      const { http, grpc } = await ways({ TOURNIQUET_PAYLOAD_KEY: `k1:${key}` });
      const [a, b] = await Promise.all([runCliWith(h, http, 'status', id, '--json'), runCliWith(h, grpc, 'status', id, '--json')]);
      expect(a).toEqual(b);
      expect(JSON.parse(a.stdout)).toMatchObject({ id, state: 'awaiting-approval' });
      const approved = await runCliWith(h, http, 'approve', id, '--as', 'bob');
      expect(approved).toMatchObject({ code: 0, stdout: `approved g1 (Quarantine service http-enc-${process.pid}): gate is approved\n` });
      // without the key, the answer cannot be read: said the same way both ways
      const keyless = await ways();
      const [x, y] = await Promise.all([
        runCliWith(h, keyless.http, 'status', id, '--json'),
        runCliWith(h, keyless.grpc, 'status', id, '--json'),
      ]);
      expect(x).toEqual(y);
      expect(x).toMatchObject({ code: 1, stdout: '', stderr: 'Unknown encoding: binary/encrypted\n' });
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
