/** `tourniquet cancel` on an incident that has already finished: refused (exit 2), saying so, plain or --force. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { runCli } from './support/cli';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('tourniquet cancel', () => {
  it('should refuse to cancel a finished incident with exit 2 and say it has ended, plain and with --force', async () => {
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: 'cancel-late' } },
      { taskQueue: h.taskQueue },
    );
    await waitForGate(h.client, id);
    expect(
      await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', via: 'test', reason: 'false positive' }),
    ).toMatchObject({ applied: true });
    await h.client.workflow.getHandle(id).result();

    const [plain, forced] = await Promise.all([
      runCli(h, 'cancel', id, '--as', 'bob', '--reason', 'too late'),
      runCli(h, 'cancel', id, '--as', 'bob', '--reason', 'too late', '--force'),
    ]);
    expect(plain.code).toBe(2);
    expect(plain.stdout.trim()).toBe(`refused (IncidentEnded): incident ${id} is already denied; nothing was done`);
    expect(forced.code).toBe(2);
    expect(forced.stdout.trim()).toBe(`refused (IncidentEnded): incident ${id} is already denied; nothing was done`);
  });
});
