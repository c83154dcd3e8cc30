/**
 * The CLI with no worker running: people are told the engine did not answer, in words, with the
 * exit codes the README promises — never gRPC text.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIncident } from '../client';
import { runCliWith } from './support/cli';
import { freePort } from './support/ports';

const httpAddress = inject('temporalHttpAddress');
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.stop();
});

describe('with no worker running', () => {
  it('should refuse a decision as EngineUnavailable (exit 2) and say plainly that no worker answered a status read (exit 1)', async () => {
    // Temporal takes the start and keeps the incident; no worker ever runs it here.
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: 'no-worker' } },
      { taskQueue: h.taskQueue },
    );
    // Over gRPC, and over Temporal's HTTP API (cli/http-path.ts; its gRPC address leads nowhere, so
    // only HTTP can answer): the same words and exit codes. Another incident for HTTP: the server
    // holds only a few queries per workflow while no worker takes them.
    const other = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: 'no-worker-http' } },
      { taskQueue: h.taskQueue },
    );
    const overHttp = { TEMPORAL_HTTP_ADDRESS: httpAddress, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
    const [approve, status, approveHttp, statusHttp] = await Promise.all([
      runCliWith(h, { TEMPORAL_HTTP_ADDRESS: 'off' }, 'approve', id, '--as', 'bob'),
      runCliWith(h, { TEMPORAL_HTTP_ADDRESS: 'off' }, 'status', id),
      ...(httpAddress ? [runCliWith(h, overHttp, 'approve', other, '--as', 'bob'), runCliWith(h, overHttp, 'status', other)] : []),
    ]);
    if (httpAddress) {
      expect(approveHttp).toEqual(approve);
      expect({ ...statusHttp, stderr: statusHttp!.stderr.replace(other, id) }).toEqual(status);
    }

    expect(approve.code).toBe(2);
    expect(approve.stdout.trim()).toBe(
      'refused (EngineUnavailable): the engine did not answer within 15s (is a worker running?); the decision was NOT applied — try again',
    );

    expect(status.code).toBe(1);
    expect(status.stdout).toBe('');
    expect(status.stderr.trim()).toBe(
      `no worker answered for incident ${id} (is a worker running? \`npm run dev\` or \`npm run worker\`); the incident is kept by Temporal and continues when a worker returns`,
    );
    expect(status.stderr).not.toMatch(/Failed to query|DEADLINE/);
  });
});
