/**
 * revoke-leaked-key for an AWS key across a worker crash: the real worker process, configured from
 * the environment as deployed (TOURNIQUET_AWS_ENDPOINT_URL at moto behind the recording proxy, the
 * SDK's credential chain from AWS_*), is SIGKILLed while the incident waits for approval; after a
 * restart the incident goes on, evidence is not collected again, and IAM is written once.
 *
 * A kill inside the destructive activity itself is retried only after its 5-minute start-to-close
 * timeout; what it leaves behind is covered in revoke-leaked-key-aws-failures.test.ts.
 */
import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decide, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { startAwsProxy, type AwsProxy } from './support/aws-proxy';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { startMoto, type Moto } from './support/moto';
import { spawnWorker, type WorkerProcess } from './support/worker-process';

let moto: Moto;
let proxy: AwsProxy;
let fake: FakeGitHub;
let h: Harness;
let worker: WorkerProcess | undefined;
let env: Record<string, string>;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsProxy(moto.url);
  const identity = await moto.tourniquetIdentity('tourniquet');
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  env = {
    GITHUB_TOKEN: fake.appToken,
    GITHUB_API_URL: fake.url,
    TOURNIQUET_AWS_ENDPOINT_URL: proxy.url,
    TOURNIQUET_AWS_REGION: moto.region,
    AWS_ACCESS_KEY_ID: identity.accessKeyId,
    AWS_SECRET_ACCESS_KEY: identity.secretAccessKey,
  };
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.stop();
  await fake?.stop();
  await proxy?.close();
  await moto?.stop();
});

it('a worker killed while the incident waits for approval: after restart the key is deactivated and quarantined exactly once', async () => {
  const key = await moto.createUser('ci-deployer');
  const n = fake.addLeak('acme/api', {
    secretType: 'aws_access_key_id',
    secret: key.accessKeyId,
    commits: [{ authoredAt: '2026-11-20T08:00:00Z' }],
  });
  worker = spawnWorker(h, env);
  const id = await startIncident(
    h.client,
    { playbook: 'revoke-leaked-key', requester: 'alice', params: { owner: 'acme', repo: 'api', alertNumber: n } },
    { taskQueue: h.taskQueue },
  );
  const before = await waitForGate(h.client, id, { timeoutMs: 45_000 });
  expect(before.evidence.map((e) => e.name)).toContain(
    `what AWS access key ${before.evidence[0]!.facts!.fingerprint} could do and did while exposed`,
  );
  const lookups = proxy.of('GetAccessKeyLastUsed').length;

  await worker.kill();
  worker = spawnWorker(h, env);

  expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', validForMs: 30_000 })).toMatchObject({
    applied: true,
  });
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  expect(final.state).toBe('resolved');
  expect(final.evidence.map((e) => e.name)).toEqual(before.evidence.map((e) => e.name));
  expect(proxy.of('UpdateAccessKey', 200)).toHaveLength(1);
  expect(proxy.of('PutUserPolicy', 200)).toHaveLength(1);
  // After the restart: the action's own look-up and verification's, no evidence collected again.
  expect(proxy.of('GetAccessKeyLastUsed').length - lookups).toBe(2);
  const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: 'ci-deployer' }));
  expect(keys.AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
  expect((await moto.admin.send(new ListUserPoliciesCommand({ UserName: 'ci-deployer' }))).PolicyNames).toEqual([
    expect.stringMatching(/^TourniquetQuarantine-/),
  ]);
  const timeline = await getTimeline(h.client, id);
  expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  expect(worker.output()).not.toContain(key.accessKeyId);
});
