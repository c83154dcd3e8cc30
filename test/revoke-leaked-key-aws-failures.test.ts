/**
 * revoke-leaked-key for AWS access keys when AWS fails: AccessDenied, throttling, and the
 * connection lost between deactivation and quarantine. moto (IAM authentication on) behind the
 * recording proxy of test/support/aws-proxy.ts, which answers chosen calls with AWS's errors; the
 * worker's identity holds the deploy policy's actions except iam:DeleteAccessKey.
 *
 * Not a SIGKILL: what a crash inside the destructive activity leaves behind — the key Inactive, no
 * quarantine yet — is made here by failing the quarantine call until the SDK gives up; the
 * activity's retry must then finish the job without deactivating twice. (A killed worker's attempt
 * is retried once its 20 s heartbeat timeout passes; no test here kills one mid-action yet.)
 */
import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import type { AwsProxy } from './support/aws-proxy';
import { useAwsSuite } from './support/aws-suite';
import type { FakeGitHub } from './support/fake-github';
import { waitForGate } from './support/gates';
import type { Harness } from './support/harness';
import type { Credentials, Moto } from './support/moto';
import { waitFor } from './support/wait';

const aws = useAwsSuite({ identity: 'tourniquet-no-delete', deny: ['iam:DeleteAccessKey'], githubProblems: false });
const { open } = aws;
let moto: Moto;
let proxy: AwsProxy;
let fake: FakeGitHub;
let h: Harness;

beforeAll(() => {
  ({ moto, proxy, fake, h } = aws);
});

let users = 0;
async function leak(options: { deleteKey?: boolean } = {}): Promise<{ user: string; key: Credentials; id: string }> {
  const user = `ops-${++users}-${Date.now() % 100000}`;
  const key = await moto.createUser(user);
  const n = fake.addLeak('acme/api', {
    secretType: 'aws_access_key_id',
    secret: key.accessKeyId,
    commits: [{ authoredAt: '2026-11-20T08:00:00Z' }],
  });
  const id = await startIncident(
    h.client,
    {
      playbook: 'revoke-leaked-key',
      requester: 'alice',
      params: { owner: 'acme', repo: 'api', alertNumber: n, ...(options.deleteKey ? { deleteKey: true } : {}) },
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  await waitForGate(h.client, id);
  return { user, key, id };
}

async function finished(id: string): Promise<IncidentStatus> {
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  open.delete(id);
  return final;
}

const keyStatus = async (user: string, keyId: string) =>
  (await moto.admin.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status;
const policies = async (user: string) => (await moto.admin.send(new ListUserPoliciesCommand({ UserName: user }))).PolicyNames ?? [];
const since = (at: number, action: string) => proxy.calls.filter((c) => c.action === action && c.at >= at).map((c) => c.status);

describe('revoke-leaked-key for an AWS key when AWS fails', () => {
  it('AccessDenied fails the step at once, naming the IAM permission the worker lacks', async () => {
    const { user, key, id } = await leak({ deleteKey: true });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    await waitFor('the delete gate', async () => ((await getStatus(h.client, id)).gates.length === 2 ? true : undefined));
    const at = Date.now();
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    const failedStep = await waitFor('the failed delete', async () =>
      (await getTimeline(h.client, id)).find((e) => e.kind === 'action.failed'),
    );
    expect(failedStep.summary).toMatch(
      /AWS denied DeleteAccessKey of IAM user .*: Tourniquet's identity needs iam:DeleteAccessKey \(see deploy\/aws\/tourniquet-iam-policy.json\)/,
    );
    expect(failedStep.summary).not.toContain(key.accessKeyId);
    expect(since(at, 'DeleteAccessKey')).toEqual([403]); // not retried, by the SDK or by Temporal
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
  });

  it('throttling is retried by the SDK first, then by Temporal after a pause, and the key is deactivated once', async () => {
    const { user, key, id } = await leak();
    const at = Date.now();
    // Three Throttling answers: the SDK's standard retry mode (3 attempts) gives up, Temporal retries.
    proxy.failNext('UpdateAccessKey', { status: 400, code: 'Throttling' }, 3);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(since(at, 'UpdateAccessKey')).toEqual([400, 400, 400, 200]);
    const calls = proxy.calls.filter((c) => c.action === 'UpdateAccessKey' && c.at >= at);
    expect(calls[3]!.at - calls[2]!.at).toBeGreaterThanOrEqual(10_000);
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
  });

  it('lost between deactivation and quarantine: the retry quarantines without deactivating again, each write once', async () => {
    const { user, key, id } = await leak();
    const at = Date.now();
    proxy.failNext('PutUserPolicy', { status: 503, code: 'ServiceUnavailable', message: 'Service is unavailable' }, 3);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(since(at, 'UpdateAccessKey')).toEqual([200]);
    expect(since(at, 'PutUserPolicy')).toEqual([503, 503, 503, 200]);
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
    expect((await policies(user)).filter((p) => p.startsWith('TourniquetQuarantine-'))).toHaveLength(1);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
    expect(timeline.find((e) => e.kind === 'action.completed')!.summary).toMatch(
      /already deactivated \(it was Active when approved: an earlier attempt of this step\); attached deny-all TourniquetQuarantine-/,
    );
  });
});
