/**
 * revoke-leaked-key when nobody decides: on the time-skipping test server, the gate's ten minutes
 * pass in a second, the incident is denied by default, and GitHub sees no write.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INCIDENT_WORKFLOW } from '../client';
import type { IncidentStatus } from '../workflows';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { plantLeakedToken } from './support/github-leaks';
import { RecordingNotifier } from './support/harness';
import { startTimeSkippingStack, type TimeSkippingStack } from './support/time-skipping';

let fake: FakeGitHub;
let stack: TimeSkippingStack;

beforeAll(async () => {
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  stack = await startTimeSkippingStack({ notifiers: [new RecordingNotifier()], github: { token: fake.appToken, apiUrl: fake.url } });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});

it('is denied at the approval deadline, and nothing is revoked', async () => {
  const { secret, n } = plantLeakedToken(fake);
  const handle = await stack.env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: `leak-deadline-${randomUUID()}`,
    taskQueue: stack.taskQueue,
    args: [{ playbook: 'revoke-leaked-key', requester: 'alice', params: { owner: 'acme', repo: 'api', alertNumber: n } }],
  });
  const final = (await handle.result()) as IncidentStatus;

  expect(final.state).toBe('denied');
  expect(final.gates[0]).toMatchObject({ status: 'expired', action: 'githubRevokeLeakedSecret', risk: 'critical' });
  expect(final.gates[0]!.closed_reason).toMatch(/^no decision by .*: denied by default$/);
  expect(Date.parse(final.gates[0]!.closed_at!) - Date.parse(final.gates[0]!.opened_at)).toBeGreaterThanOrEqual(10 * 60_000);
  expect(final.clock.action_started_at).toBeUndefined();
  expect(fake.writes()).toEqual([]);
  expect(fake.isRevoked(secret)).toBe(false);
  expect(fake.rejections).toEqual([]);
  expect(fake.problems).toEqual([]);
});
