/**
 * A destructive action heartbeats while it acts when the workflow gives it a heartbeat timeout
 * (workflows/steps.ts does), so a worker killed mid-action is noticed within that timeout and
 * another worker retries it, rather than after the 5-minute start-to-close timeout.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { approvedAction } from '../activities/approved-action';
import { actionDigest } from '../workflows/canonical';
import type { ApprovedAction } from '../workflows/contracts';

const request: ApprovedAction<{ n: number }> = {
  incidentId: 'inc-hb',
  action: 'slowAction',
  target: 'service/x',
  args: { n: 1 },
  dryRun: false,
  approval: {
    gateId: 'g1',
    digest: actionDigest({ action: 'slowAction', target: 'service/x', args: { n: 1 } }),
    approvers: ['bob'],
    decidedAt: '2026-12-01T00:00:00.000Z',
  },
};

/** Runs an action that takes `ms` and counts the heartbeats it sent meanwhile. */
async function heartbeatsDuring(ms: number, heartbeatTimeoutMs: number | undefined): Promise<number> {
  const env = new MockActivityEnvironment({ activityType: 'slowAction', ...(heartbeatTimeoutMs ? { heartbeatTimeoutMs } : {}) });
  let beats = 0;
  env.on('heartbeat', () => (beats += 1));
  const slow = approvedAction<{ n: number }>(() => new Promise((r) => setTimeout(() => r({ summary: 'done', changed: true }), ms)));
  await expect(env.run(slow, request)).resolves.toEqual({ summary: 'done', changed: true });
  return beats;
}

describe('a destructive action', () => {
  it('heartbeats at a third of its heartbeat timeout while it runs, and stops when done', async () => {
    // 300 ms heartbeat timeout: a beat every 100 ms over a 1 s action (at least a few, on a loaded machine)
    const beats = await heartbeatsDuring(1_000, 300);
    expect(beats).toBeGreaterThanOrEqual(3);
    expect(beats).toBeLessThanOrEqual(11);
  });

  it('does not heartbeat without a heartbeat timeout', async () => {
    expect(await heartbeatsDuring(300, undefined)).toBe(0);
  });
});
