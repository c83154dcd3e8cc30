/**
 * revoke-leaked-key when nobody decides: on the time-skipping test server, the gate's ten minutes
 * pass in a second, the incident is denied by default, and GitHub sees no write.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { parsePolicyFile } from '../activities/approvals/policies';
import { INCIDENT_WORKFLOW } from '../client';
import type { IncidentStatus } from '../workflows';
import { buildActivityDeps, createWorker } from '../worker/worker';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { leakedToken } from './support/github-leaks';
import { RecordingNotifier, TEST_POLICIES } from './support/harness';

let fake: FakeGitHub;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let dir: string;
const taskQueue = `leak-deadline-${randomUUID()}`;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already in this process
  }
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-leak-deadline-'));
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
  });
  worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: buildActivityDeps({
      policies: parsePolicyFile(TEST_POLICIES),
      evidenceDir: join(dir, 'evidence'),
      demoWorld: join(dir, 'demo'),
      notifiers: [new RecordingNotifier()],
      github: { token: fake.appToken, apiUrl: fake.url },
    }),
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await fake?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('is denied at the approval deadline, and nothing is revoked', async () => {
  const secret = leakedToken();
  fake.addToken(secret, 'dev');
  const n = fake.addLeak('acme/api', { secret, secretType: 'github_personal_access_token', commits: [{ authoredAt: '2026-11-20T08:00:00Z' }] });
  const handle = await env.client.workflow.start(INCIDENT_WORKFLOW, {
    workflowId: `leak-deadline-${randomUUID()}`,
    taskQueue,
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
