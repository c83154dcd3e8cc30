/**
 * The shared evidence store on a real S3-compatible server (MinIO, `npm run setup:minio`): an
 * incident's evidence written by the worker's activities into a bucket with Object Lock, verified
 * by `tourniquet verify-evidence` as an operator runs it, each object under retention that MinIO
 * itself enforces; and what verification says when objects or the bucket are gone or changed.
 */
import {
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordArtifact, S3EvidenceStore, verifyEvidence, type S3EvidenceSettings } from '../activities/evidence';
import { formatVerification } from '../cli/format';
import { decide, startIncident } from '../client';
import { EvidenceLedger, type LedgerEntry } from '../workflows/evidence-ledger';
import { FAILURE_TYPES } from '../workflows/failure-types';
import { runCliWith } from './support/cli';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { startMinio, type Minio } from './support/minio';

let minio: Minio;
let h: Harness;
let locked: S3EvidenceSettings;
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  minio = await startMinio();
  // The worker and the CLI find credentials as a deployment gives them: the SDK's standard chain.
  process.env.AWS_ACCESS_KEY_ID = minio.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = minio.credentials.secretAccessKey;
  locked = {
    bucket: minio.lockedBucket,
    endpoint: minio.url,
    region: minio.region,
    forcePathStyle: true,
    prefix: 'tourniquet',
    retentionDays: 1,
    retentionMode: 'COMPLIANCE',
  };
  h = await startHarness({ evidenceS3: locked });
});
afterAll(async () => {
  await h?.stop();
  await minio?.stop();
  for (const [name, value] of [
    ['AWS_ACCESS_KEY_ID', savedEnv.id],
    ['AWS_SECRET_ACCESS_KEY', savedEnv.secret],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/**
 * What an operator sets to point the CLI at the bucket: the variables the docs give. The store's own
 * keys win over an AWS_* identity meant for something else (the AWS key revoker), which MinIO refuses.
 */
const cliEnv = (settings: S3EvidenceSettings): Record<string, string> => ({
  TOURNIQUET_EVIDENCE_S3_BUCKET: settings.bucket,
  TOURNIQUET_EVIDENCE_S3_ENDPOINT: settings.endpoint!,
  TOURNIQUET_EVIDENCE_S3_FORCE_PATH_STYLE: 'true',
  TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID: minio.credentials.accessKeyId,
  TOURNIQUET_EVIDENCE_S3_SECRET_ACCESS_KEY: minio.credentials.secretAccessKey,
  AWS_ACCESS_KEY_ID: 'AKIAREVOKERIDENTITY1',
  AWS_SECRET_ACCESS_KEY: 'not-the-evidence-store-secret-0000000000',
  ...(settings.prefix ? { TOURNIQUET_EVIDENCE_S3_PREFIX: settings.prefix } : {}),
});

const keyOf = (settings: S3EvidenceSettings, uri: string) =>
  `${settings.prefix ? `${settings.prefix}/` : ''}${uri.slice('evidence://'.length)}`;

async function resolvedDemoIncident(): Promise<{ id: string; evidence: LedgerEntry[] }> {
  const id = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', params: { service: `s3-${process.pid}-${Date.now()}` } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, id);
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  const final = await h.client.workflow.getHandle(id).result();
  return { id, evidence: final.evidence };
}

describe('evidence in an S3 bucket with Object Lock', () => {
  let incident: { id: string; evidence: LedgerEntry[] };
  beforeAll(async () => {
    incident = await resolvedDemoIncident();
  });

  it('holds every artifact of the chain, and `tourniquet verify-evidence` verifies it from the bucket', async () => {
    expect(incident.evidence.length).toBe(3);
    const listed = await minio.admin.send(new ListObjectsV2Command({ Bucket: locked.bucket, Prefix: 'tourniquet/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    for (const entry of incident.evidence) expect(keys).toContain(keyOf(locked, entry.uri));

    const verified = await runCliWith(h, cliEnv(locked), 'verify-evidence', incident.id);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`${incident.id}: evidence verified (3 entries)`);
  });

  it('writes each object under COMPLIANCE retention that MinIO enforces: a locked version cannot be deleted', async () => {
    const Key = keyOf(locked, incident.evidence[0]!.uri);
    const head = await minio.admin.send(new HeadObjectCommand({ Bucket: locked.bucket, Key }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    const until = head.ObjectLockRetainUntilDate!.getTime();
    // one day from the write (the write was moments ago; generous for a loaded machine's clock reads)
    expect(until).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);
    const retention = await minio.admin.send(new GetObjectRetentionCommand({ Bucket: locked.bucket, Key, VersionId: head.VersionId! }));
    expect(retention.Retention?.Mode).toBe('COMPLIANCE');

    // Even the bucket's owner (MinIO's root user) cannot remove the version, nor bypass COMPLIANCE.
    // (MinIO answers 400 InvalidRequest "Object is WORM protected" where AWS S3 answers AccessDenied.)
    const del = minio.admin.send(new DeleteObjectCommand({ Bucket: locked.bucket, Key, VersionId: head.VersionId! }));
    await expect(del).rejects.toThrow(/WORM protected/);
    const bypass = minio.admin.send(
      new DeleteObjectCommand({ Bucket: locked.bucket, Key, VersionId: head.VersionId!, BypassGovernanceRetention: true }),
    );
    await expect(bypass).rejects.toThrow(/WORM protected/);
    expect((await minio.admin.send(new HeadObjectCommand({ Bucket: locked.bucket, Key }))).VersionId).toBe(head.VersionId);
  });

  it('never writes a second version when an activity is replayed', async () => {
    const store = new S3EvidenceStore(locked);
    const ledger = new EvidenceLedger();
    const content = { replayed: 'same bytes', at: incident.id };
    const first = await recordArtifact(store, { incidentId: incident.id, name: 'replayed', content });
    const again = await recordArtifact(store, { incidentId: incident.id, name: 'replayed', content });
    expect(again).toEqual(first);
    const Key = keyOf(locked, first.uri);
    const versions = await minio.admin.send(new ListObjectVersionsCommand({ Bucket: locked.bucket, Prefix: Key }));
    expect((versions.Versions ?? []).map((v) => v.Key)).toEqual([Key]);
    ledger.append('collect', first);
    expect((await verifyEvidence(store, ledger.list())).ok).toBe(true);
    await store.close();
  });

  it('says MISSING, not TAMPERED, for a deleted object; the locked version is still there to restore', async () => {
    const removed = incident.evidence[2]!;
    const Key = keyOf(locked, removed.uri);
    // A plain delete in a versioned bucket is allowed: it hides the object behind a delete marker.
    await minio.admin.send(new DeleteObjectCommand({ Bucket: locked.bucket, Key }));
    const verified = await runCliWith(h, cliEnv(locked), 'verify-evidence', incident.id);
    expect(verified.code).toBe(2);
    expect(verified.stdout).toContain(`FAILED verification (3 entries, 1 missing from s3://${locked.bucket}/tourniquet/)`);
    expect(verified.stdout).toMatch(/#3 MISSING {2}service snapshot \(after\): artifact missing/);
    expect(verified.stdout).not.toContain('TAMPERED');
    const versions = await minio.admin.send(new ListObjectVersionsCommand({ Bucket: locked.bucket, Prefix: Key }));
    expect((versions.Versions ?? []).filter((v) => v.Key === Key)).toHaveLength(1);
    expect((versions.DeleteMarkers ?? []).filter((m) => m.Key === Key)).toHaveLength(1);
  });
});

describe('evidence in an S3 bucket without Object Lock', () => {
  let plain: S3EvidenceSettings;
  let store: S3EvidenceStore;
  let ledger: EvidenceLedger;
  beforeAll(async () => {
    plain = {
      bucket: minio.plainBucket,
      endpoint: minio.url,
      region: minio.region,
      forcePathStyle: true,
      retentionDays: 1,
      retentionMode: 'COMPLIANCE',
    };
    store = new S3EvidenceStore(plain);
    ledger = new EvidenceLedger();
    for (const [name, content] of [
      ['one', 'first artifact\n'],
      ['two', { n: 2 }],
    ] as const)
      ledger.append('collect', await recordArtifact(store, { incidentId: 'inc-plain', name, content }));
  });
  afterAll(async () => {
    await store?.close();
  });

  it('writes plain objects (no retention) and verifies them', async () => {
    expect(await store.protectionOf()).toEqual({ objectLock: false });
    const head = await minio.admin.send(new HeadObjectCommand({ Bucket: plain.bucket, Key: keyOf(plain, ledger.list()[0]!.uri) }));
    expect(head.ObjectLockMode).toBeUndefined();
    expect(await verifyEvidence(store, ledger.list())).toEqual({
      ok: true,
      entries: [
        { seq: 1, name: 'one', ok: true, problems: [] },
        { seq: 2, name: 'two', ok: true, problems: [] },
      ],
    });
  });

  it('says TAMPERED for a changed object, and a replayed write refuses to overwrite it', async () => {
    const [one] = ledger.list();
    const Key = keyOf(plain, one!.uri);
    await minio.admin.send(new PutObjectCommand({ Bucket: plain.bucket, Key, Body: 'first artifacT\n' }));
    const result = await verifyEvidence(store, ledger.list());
    expect(result.ok).toBe(false);
    expect(result.entries[0]!.problems[0]).toMatch(/^artifact hashes to [0-9a-f]{12}…, ledger says /);
    expect(result.entries[0]!.missing).toBeUndefined();
    expect(formatVerification('inc-plain', result, store.location)).toMatch(/#1 TAMPERED one: artifact hashes to/);

    const replay = recordArtifact(store, { incidentId: 'inc-plain', name: 'one', content: 'first artifact\n' });
    await expect(replay).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(replay).rejects.toMatchObject({ type: FAILURE_TYPES.EvidenceConflict, nonRetryable: true });
    expect((await store.get(one!.uri)).toString()).toBe('first artifacT\n');
  });

  it('says MISSING for every entry when the bucket does not exist, and refuses writes to it for good', async () => {
    const gone = new S3EvidenceStore({ ...plain, bucket: 'no-such-evidence-bucket' });
    const result = await verifyEvidence(gone, ledger.list());
    expect(result.entries.map((e) => e.missing)).toEqual([true, true]);
    const printed = formatVerification('inc-plain', result, gone.location);
    expect(printed).toContain('2 missing from s3://no-such-evidence-bucket/');
    expect(printed).not.toContain('TAMPERED');
    const write = recordArtifact(gone, { incidentId: 'inc-plain', name: 'x', content: 'x\n' });
    await expect(write).rejects.toMatchObject({ type: FAILURE_TYPES.EvidenceStoreRejected, nonRetryable: true });
    await gone.close();
  });

  it('retries, rather than fails, when the store cannot be reached', async () => {
    const down = new S3EvidenceStore({ ...plain, endpoint: 'http://127.0.0.1:9' }, { maxAttempts: 1 });
    const write = recordArtifact(down, { incidentId: 'inc-plain', name: 'x', content: 'x\n' });
    await expect(write).rejects.toMatchObject({ type: FAILURE_TYPES.EvidenceStoreUnavailable, nonRetryable: false });
    await down.close();
  });
});
