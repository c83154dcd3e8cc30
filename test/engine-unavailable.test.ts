/**
 * The CLI with no worker running: people are told the engine did not answer, in words, with the
 * exit codes the README promises — never gRPC text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIncident } from '../client';
import { runCli } from './support/cli';
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
    const [approve, status] = await Promise.all([runCli(h, 'approve', id, '--as', 'bob'), runCli(h, 'status', id)]);

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
