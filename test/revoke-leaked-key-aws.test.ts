/**
 * revoke-leaked-key for AWS access keys, against moto's IAM, STS and CloudTrail (test/support/moto.ts,
 * IAM authentication on: the worker is an IAM user holding deploy/aws/tourniquet-iam-policy.json's
 * actions) behind a recording proxy, with a real Temporal dev server and worker and the fake GitHub.
 *
 * moto gaps met here, production code kept as AWS documents it:
 * - CloudTrail LookupEvents is not implemented (moto answers 500): the evidence says CloudTrail
 *   could not be read, and containment goes on, as it would when AWS's CloudTrail fails;
 * - an Inactive key still passes moto's authentication (AWS answers InvalidClientTokenId), so an
 *   alert holding the secret access key fails verification here: the compensation test uses that.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { GetUserPolicyCommand, ListAccessKeysCommand, ListUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { alertRoutes } from '../gateway/intake/routes';
import type { IncidentStatus } from '../workflows';
import type { AwsProxy } from './support/aws-proxy';
import { useAwsSuite } from './support/aws-suite';
import { lookupEventsHandler } from './support/cloudtrail-events';
import type { FakeGitHub } from './support/fake-github';
import { waitForGate } from './support/gates';
import type { Harness } from './support/harness';
import { deliverGitHub, githubLeak, startIntakeGateway } from './support/intake';
import type { Credentials, Moto } from './support/moto';
import { waitFor } from './support/wait';
import { historyText } from './support/history';

const aws = useAwsSuite({ identity: 'tourniquet' });
const { open } = aws;
let moto: Moto;
let proxy: AwsProxy;
let fake: FakeGitHub;
let h: Harness;
const FIRST_COMMIT = '2026-11-20T08:00:00.000Z';

beforeAll(() => {
  ({ moto, proxy, fake, h } = aws);
});

let users = 0;
/** An IAM user with an access key (and a policy to summarise), leaked into acme/api. */
async function plantKey(options: { pair?: boolean; inactive?: boolean } = {}): Promise<{ user: string; key: Credentials; n: number }> {
  const user = `dev-${++users}-${Date.now() % 100000}`;
  const key = await moto.createUser(user, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
  if (options.inactive)
    await moto.admin.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
  const n = fake.addLeak('acme/api', {
    secretType: 'aws_access_key_id',
    secret: options.pair ? `${key.accessKeyId}\n${key.secretAccessKey}` : key.accessKeyId,
    commits: [{ authoredAt: FIRST_COMMIT }],
  });
  return { user, key, n };
}

async function start(n: number, options: { mode?: 'live' | 'drill'; deleteKey?: boolean; waitForGate?: boolean } = {}) {
  const id = await startIncident(
    h.client,
    {
      playbook: 'revoke-leaked-key',
      requester: 'alice',
      mode: options.mode ?? 'live',
      params: { owner: 'acme', repo: 'api', alertNumber: n, ...(options.deleteKey ? { deleteKey: true } : {}) },
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  return { id, status: options.waitForGate === false ? undefined : await waitForGate(h.client, id) };
}

async function finished(id: string): Promise<IncidentStatus> {
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  open.delete(id);
  return final;
}

async function failed(id: string): Promise<IncidentStatus> {
  await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow(WorkflowFailedError);
  open.delete(id);
  return getStatus(h.client, id);
}

async function keyStatus(user: string, keyId: string): Promise<string | undefined> {
  const keys = await moto.admin.send(new ListAccessKeysCommand({ UserName: user }));
  return keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status;
}
const inlinePolicies = async (user: string) => (await moto.admin.send(new ListUserPoliciesCommand({ UserName: user }))).PolicyNames ?? [];
const quarantineOf = (id: string) => `TourniquetQuarantine-${id.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 128);

describe('revoke-leaked-key for an AWS access key', () => {
  it('a signed secret_scanning_alert ends with the key Inactive and its user quarantined; replayed, it does nothing twice', async () => {
    const { user, key, n } = await plantKey();
    const gw = await startIntakeGateway(h.client, h.taskQueue, { routes: alertRoutes });
    try {
      const created = githubLeak();
      Object.assign(created.alert, { number: n, secret_type: 'aws_access_key_id', secret_type_display_name: 'Amazon AWS Access Key ID' });
      Object.assign(created.repository, { name: 'api', full_name: 'acme/api', owner: { ...created.repository.owner, login: 'acme' } });
      created.organization.login = 'acme';
      const res = await deliverGitHub(gw.url, 'secret_scanning_alert', created);
      expect(res.body).toMatchObject({ status: 'new', route: 'github-secret-leak' });
      const id: string = res.body.incidentId;
      open.add(id);

      const status = await waitForGate(h.client, id);
      const fp = `[REDACTED:aws_access_key_id sha256:`;
      expect(status.gates[0]).toMatchObject({ action: 'githubRevokeLeakedSecret', risk: 'critical' });
      expect(status.gates[0]!.step).toContain(`deactivate access key ${fp}`);
      expect(status.gates[0]!.step).toContain(`of IAM user ${user}; attach the deny-all inline policy ${quarantineOf(id)} to ${user}`);
      const used = status.evidence.find((e) => e.name.startsWith('what AWS access key'))!;
      expect(used.facts).toMatchObject({
        userName: user,
        keyStatus: 'Active',
        lastUsedAt: null,
        inlinePolicies: `${user}-policy`,
        attachedPolicies: '',
        windowFrom: FIRST_COMMIT,
      });
      // moto gap: no LookupEvents (500). The evidence says so; containment is not held up by it.
      expect(used.facts).toMatchObject({
        cloudTrailEvents: null,
        cloudTrailProblem: expect.stringMatching(/CloudTrail LookupEvents for the leaked key failed: 500/),
      });
      expect(proxy.of('LookupEvents').length).toBeGreaterThanOrEqual(1);
      // Nothing written before the approval.
      expect(await keyStatus(user, key.accessKeyId)).toBe('Active');
      expect(proxy.of('UpdateAccessKey')).toEqual([]);

      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      const final = await finished(id);
      expect(final.state).toBe('resolved');
      expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
      expect(await inlinePolicies(user)).toEqual(expect.arrayContaining([quarantineOf(id)]));
      const doc = await moto.admin.send(new GetUserPolicyCommand({ UserName: user, PolicyName: quarantineOf(id) }));
      expect(JSON.parse(decodeURIComponent(doc.PolicyDocument!))).toMatchObject({
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
      });
      expect(fake.repo('acme/api').alerts.get(n)).toMatchObject({ state: 'resolved', resolution: 'revoked' });

      expect(final.clock.exposed_at).toBe(FIRST_COMMIT);
      expect(final.clock.durations.exposure_window_ms).toBe(Date.parse(final.clock.contained_at!) - Date.parse(FIRST_COMMIT));
      const timeline = await getTimeline(h.client, id);
      expect(timeline.find((e) => e.kind === 'action.completed')!.summary).toMatch(
        new RegExp(
          `deactivated access key .* of IAM user ${user}; attached deny-all ${quarantineOf(id)} to ${user}; resolved alert #${n} as revoked`,
        ),
      );
      expect(timeline.find((e) => e.kind === 'verify.passed')!.summary).toMatch(
        /is Inactive; .* attached to .*; the alert holds no secret access key, so the key itself cannot be tried against STS/,
      );
      expect(timeline.map((e) => e.summary).join('\n')).toMatch(
        new RegExp(`AWS key .*: IAM user ${user}, Active, last used never; CloudTrail not read: .*500`),
      );

      // The key id is a secret here too: nowhere in evidence, timeline, status, notifications, history.
      const evidenceDir = join(h.dir, 'evidence', encodeURIComponent(id));
      for (const f of await readdir(evidenceDir)) expect(await readFile(join(evidenceDir, f), 'utf8')).not.toContain(key.accessKeyId);
      expect(JSON.stringify(timeline)).not.toContain(key.accessKeyId);
      expect(JSON.stringify(final)).not.toContain(key.accessKeyId);
      expect(JSON.stringify(h.notifier.of(id))).not.toContain(key.accessKeyId);
      expect(await historyText(h.client, id)).not.toContain(key.accessKeyId);

      // The same delivery replayed: recognised, nothing started, nothing written to IAM again.
      const writes = proxy.calls.filter((c) => ['UpdateAccessKey', 'PutUserPolicy'].includes(c.action)).length;
      const again = await deliverGitHub(gw.url, 'secret_scanning_alert', created);
      expect(again.body.status).not.toBe('new');
      expect(proxy.calls.filter((c) => ['UpdateAccessKey', 'PutUserPolicy'].includes(c.action)).length).toBe(writes);
    } finally {
      await gw.close();
    }
  });

  it('does nothing when an approver denies', async () => {
    const { user, key, n } = await plantKey();
    const { id } = await start(n);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test', reason: 'a test key' });
    expect((await finished(id)).state).toBe('denied');
    expect(await keyStatus(user, key.accessKeyId)).toBe('Active');
    expect(await inlinePolicies(user)).toEqual([`${user}-policy`]);
  });

  it('in a drill, reads IAM and changes nothing', async () => {
    const { user, key, n } = await plantKey();
    const since = proxy.calls.length;
    const { id } = await start(n, { mode: 'drill' });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(await keyStatus(user, key.accessKeyId)).toBe('Active');
    expect(await inlinePolicies(user)).toEqual([`${user}-policy`]);
    const writes = proxy.calls.slice(since).filter((c) => /^(Update|Put|Delete|Create)/.test(c.action));
    expect(writes).toEqual([]);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'action.completed')!.summary).toMatch(
      new RegExp(`^DRILL: would deactivate access key .* of ${user}; would attach ${quarantineOf(id)} to ${user}`),
    );
  });

  it('a key already Inactive: the approvers are told, the user is quarantined, the key stays as it was', async () => {
    const { user, key, n } = await plantKey({ inactive: true });
    const { id, status } = await start(n);
    expect(status!.gates[0]!.step).toContain(`of IAM user ${user} is already Inactive; attach the deny-all inline policy`);
    const before = proxy.of('UpdateAccessKey').length;
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(proxy.of('UpdateAccessKey').length).toBe(before);
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
    expect(await inlinePolicies(user)).toContain(quarantineOf(id));
  });

  it('a key that is not in this account is refused before any gate, saying so', async () => {
    const n = fake.addLeak('acme/api', {
      secretType: 'aws_access_key_id',
      secret: 'AKIA' + 'Z7Q3'.repeat(4),
      commits: [{ authoredAt: FIRST_COMMIT }],
    });
    const { id } = await start(n, { waitForGate: false });
    const s = await failed(id);
    expect(s.gates).toEqual([]);
    expect(s.outcome).toMatch(
      /cannot revoke the leaked aws_access_key_id: access key \[REDACTED:aws_access_key_id .*\] is not a key of an IAM user in the AWS account Tourniquet's identity is in/,
    );
    expect(s.outcome).not.toContain('Z7Q3Z7Q3');
  });

  it('deletes the key behind a second gate, and verifies again', async () => {
    const { user, key, n } = await plantKey();
    const { id } = await start(n, { deleteKey: true });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const second = await waitFor('the delete gate', async () => {
      const s = await getStatus(h.client, id);
      return s.gates.length === 2 && s.state === 'awaiting-approval' ? s : undefined;
    });
    expect(second.gates[1]).toMatchObject({ action: 'awsDeleteLeakedKey', risk: 'critical' });
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(await keyStatus(user, key.accessKeyId)).toBeUndefined();
    const timeline = await getTimeline(h.client, id);
    expect(timeline.filter((e) => e.kind === 'verify.passed').at(-1)!.summary).toMatch(/is deleted/);
  });

  it('a denied deletion leaves the key contained and compensates nothing', async () => {
    const { user, key, n } = await plantKey();
    const { id } = await start(n, { deleteKey: true });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    await waitFor('the delete gate', async () => ((await getStatus(h.client, id)).gates.length === 2 ? true : undefined));
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test', reason: 'keep it for forensics' });
    expect((await finished(id)).state).toBe('resolved');
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
    expect(await inlinePolicies(user)).toContain(quarantineOf(id));
  });

  it('the evidence and the timeline show what the key did in the exposure window (CloudTrail)', async () => {
    const { user, key, n } = await plantKey();
    // moto has no LookupEvents: it is served as AWS documents it (test/support/cloudtrail-events.ts).
    const at = (iso: string) => new Date(iso);
    proxy.serve(
      'LookupEvents',
      lookupEventsHandler([
        { time: at('2026-11-19T23:00:00Z'), name: 'ListUsers', source: 'iam.amazonaws.com', accessKeyId: key.accessKeyId }, // before the leak
        {
          time: at('2026-11-20T09:15:00Z'),
          name: 'ListBuckets',
          source: 's3.amazonaws.com',
          accessKeyId: key.accessKeyId,
          sourceIp: '198.51.100.23',
        },
        {
          time: at('2026-11-20T09:16:00Z'),
          name: 'GetObject',
          source: 's3.amazonaws.com',
          accessKeyId: key.accessKeyId,
          sourceIp: '198.51.100.23',
        },
        {
          time: at('2026-11-20T09:20:00Z'),
          name: 'CreateUser',
          source: 'iam.amazonaws.com',
          accessKeyId: key.accessKeyId,
          sourceIp: '198.51.100.23',
          errorCode: 'AccessDenied',
          readOnly: false,
        },
      ]),
    );
    {
      const { id, status } = await start(n);
      const used = status!.evidence.find((e) => e.name.startsWith('what AWS access key'))!;
      expect(used.facts).toMatchObject({
        cloudTrailEvents: 3,
        cloudTrailTruncated: false,
        cloudTrailNames: 'CreateUser, GetObject, ListBuckets',
        cloudTrailProblem: null,
      });
      const artifact = JSON.parse((await h.deps.store.get(used.uri)).toString());
      expect(
        artifact.cloudTrail.events.map((e: { name: string; sourceIp: string; errorCode: string | null }) => [
          e.name,
          e.sourceIp,
          e.errorCode,
        ]),
      ).toEqual([
        ['CreateUser', '198.51.100.23', 'AccessDenied'],
        ['GetObject', '198.51.100.23', null],
        ['ListBuckets', '198.51.100.23', null],
      ]);
      expect(JSON.stringify(artifact)).not.toContain(key.accessKeyId);
      const timeline = await getTimeline(h.client, id);
      expect(timeline.map((e) => e.summary).join('\n')).toContain(
        `IAM user ${user}, Active, last used never; 3 CloudTrail events by the key since ${FIRST_COMMIT} (CreateUser, GetObject, ListBuckets)`,
      );
      expect(proxy.refusals).toEqual([]);
    }
  });

  it('when verification fails, compensation restores the key and lifts the quarantine behind its own approval', async () => {
    // The alert holds the pair, and moto still authenticates an Inactive key (see above): STS
    // accepts it, as AWS would for a key that still worked, so verification fails.
    const { user, key, n } = await plantKey({ pair: true });
    const { id } = await start(n);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const restore = await waitFor('the restore gate', async () => {
      const s = await getStatus(h.client, id);
      return s.gates.length === 2 && s.state === 'awaiting-approval' ? s : undefined;
    });
    expect(restore.gates[1]).toMatchObject({ action: 'awsRestoreLeakedKey' });
    expect(await keyStatus(user, key.accessKeyId)).toBe('Inactive');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test' });
    const s = await failed(id);
    expect(s.outcome).toMatch(/AWS STS still accepts the leaked key/);
    expect(await keyStatus(user, key.accessKeyId)).toBe('Active');
    expect(await inlinePolicies(user)).toEqual([`${user}-policy`]);
    expect(JSON.stringify(await getTimeline(h.client, id))).not.toContain(key.secretAccessKey);
    expect(await historyText(h.client, id)).not.toContain(key.secretAccessKey);
  });
});
