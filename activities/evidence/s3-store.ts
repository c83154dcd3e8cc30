/**
 * Evidence in an S3 bucket (AWS, or any S3-compatible store such as MinIO), shared by every worker
 * and readable by `tourniquet verify-evidence` from anywhere. Objects are write-once:
 * `If-None-Match: *` makes a replayed put a no-op instead of an overwrite, and when the bucket has
 * Object Lock each object is written under retention (WORM), so not even the bucket's owner can
 * delete or replace it before it expires (COMPLIANCE) or without a bypass permission (GOVERNANCE).
 *
 * The SDK is loaded on first use, so the CLI and workers on the local store never load it.
 * Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
 * shared config, web identity, container and instance roles).
 */
import { createHash } from 'node:crypto';
import type * as S3Module from '@aws-sdk/client-s3';
import type { GetObjectLockConfigurationCommandOutput, PutObjectCommandInput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { classifyS3Error, s3ErrorName, s3Status } from './s3-errors';
import { artifactKey, checkExisting, evidenceKey, EvidenceMissingError, type EvidenceStore, type StoredArtifact } from './store';

export type RetentionMode = 'COMPLIANCE' | 'GOVERNANCE';

export interface S3EvidenceSettings {
  bucket: string;
  region: string;
  /** for S3-compatible stores (MinIO); AWS's own endpoint otherwise */
  endpoint?: string;
  /** keys start with it (`tourniquet/`), so one bucket can hold more than Tourniquet's evidence */
  prefix?: string;
  /** http://host/bucket/key instead of http://bucket.host/key: what MinIO and most S3-compatible stores need */
  forcePathStyle: boolean;
  /** each artifact's own retention, in days, when the bucket has Object Lock; unset: the bucket's default retention */
  retentionDays?: number;
  retentionMode: RetentionMode;
  /**
   * the store's own access key, when it must differ from the worker's AWS identity (MinIO next to a
   * worker that also revokes AWS keys); unset: the SDK's standard chain (an IAM role, AWS_* variables)
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** What the store does to protect artifacts, found from the bucket once. */
export interface Protection {
  objectLock: boolean;
  /** the retention each artifact gets, set by this store (`store`) or by the bucket's default rule (`bucket`) */
  retention?: { mode: string; days: number; by: 'store' | 'bucket' };
}

type Sdk = typeof S3Module;

const MISSING = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);
const DAY_MS = 86_400_000;

export class S3EvidenceStore implements EvidenceStore {
  private sdk?: Promise<{ s3: Sdk; client: S3Client }>;
  private protection?: Promise<Protection>;
  private readonly prefix: string;

  /** `client` takes extra S3Client options (tests give credentials; the worker uses the standard chain) */
  constructor(
    readonly settings: S3EvidenceSettings,
    private readonly client: Partial<S3ClientConfig> = {},
  ) {
    this.prefix = settings.prefix ? `${settings.prefix.replace(/\/+$/, '')}/` : '';
  }

  get location(): string {
    return `s3://${this.settings.bucket}/${this.prefix}`;
  }

  private load(): Promise<{ s3: Sdk; client: S3Client }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((s3) => ({
      s3,
      client: new s3.S3Client({
        region: this.settings.region,
        forcePathStyle: this.settings.forcePathStyle,
        ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
        ...(this.settings.credentials ? { credentials: this.settings.credentials } : {}),
        ...this.client,
      }),
    }));
    return this.sdk;
  }

  /** Whether the bucket has Object Lock and what retention artifacts get; asked once, again after a failure. */
  protectionOf(): Promise<Protection> {
    this.protection ??= this.findProtection().catch((err: unknown) => {
      this.protection = undefined;
      throw err;
    });
    return this.protection;
  }

  private async findProtection(): Promise<Protection> {
    const { s3, client } = await this.load();
    let found: GetObjectLockConfigurationCommandOutput;
    try {
      found = await client.send(new s3.GetObjectLockConfigurationCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      // S3 and MinIO both answer so for a bucket created without Object Lock.
      if (s3ErrorName(err) === 'ObjectLockConfigurationNotFoundError') return { objectLock: false };
      throw classifyS3Error(err, `reading the Object Lock configuration of ${this.location}`, 's3:GetBucketObjectLockConfiguration');
    }
    const config = found.ObjectLockConfiguration;
    if (config?.ObjectLockEnabled !== 'Enabled') return { objectLock: false };
    if (this.settings.retentionDays !== undefined)
      return { objectLock: true, retention: { mode: this.settings.retentionMode, days: this.settings.retentionDays, by: 'store' } };
    const rule = config.Rule?.DefaultRetention;
    const days = rule?.Days ?? (rule?.Years !== undefined ? rule.Years * 365 : undefined);
    return { objectLock: true, ...(rule?.Mode && days !== undefined ? { retention: { mode: rule.Mode, days, by: 'bucket' } } : {}) };
  }

  async put(incidentId: string, sha256: string, bytes: Uint8Array, extension: string): Promise<StoredArtifact> {
    const { key, uri } = artifactKey(incidentId, sha256, extension);
    const protection = await this.protectionOf();
    const { s3, client } = await this.load();
    const input: PutObjectCommandInput = {
      Bucket: this.settings.bucket,
      Key: this.prefix + key,
      Body: bytes,
      ContentType: extension === 'json' ? 'application/json' : 'text/plain; charset=utf-8',
      // S3 requires an integrity header on puts with Object Lock; it also refuses corrupted uploads.
      ContentMD5: createHash('md5').update(bytes).digest('base64'),
      // Write-once: an existing object (a replayed activity, or another worker's identical write) is never replaced.
      IfNoneMatch: '*',
    };
    if (protection.retention?.by === 'store') {
      input.ObjectLockMode = protection.retention.mode as RetentionMode;
      input.ObjectLockRetainUntilDate = new Date(Date.now() + protection.retention.days * DAY_MS);
    }
    try {
      await client.send(new s3.PutObjectCommand(input));
    } catch (err) {
      if (s3Status(err) !== 412) throw classifyS3Error(err, `storing ${uri} in ${this.location}`, 's3:PutObject');
      // Already there: the same bytes are a replay; other bytes were changed, and that is refused.
      checkExisting(await this.read(uri, 's3:GetObject'), sha256, uri);
    }
    return { uri };
  }

  get(uri: string): Promise<Buffer> {
    return this.read(uri);
  }

  private async read(uri: string, classifyAs?: string): Promise<Buffer> {
    const { s3, client } = await this.load();
    const Key = this.prefix + evidenceKey(uri);
    try {
      const found = await client.send(new s3.GetObjectCommand({ Bucket: this.settings.bucket, Key }));
      return Buffer.from(await found.Body!.transformToByteArray());
    } catch (err) {
      const name = s3ErrorName(err);
      if (name && MISSING.has(name)) {
        throw new EvidenceMissingError(
          name === 'NoSuchBucket' ? `no bucket ${this.settings.bucket} at this endpoint` : `no object ${Key} in ${this.settings.bucket}`,
        );
      }
      if (classifyAs) throw classifyS3Error(err, `reading ${uri} from ${this.location}`, classifyAs);
      throw new Error(`cannot read ${Key} from ${this.location}: ${name ?? 'Error'}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Closes the client's connections (tests, and short-lived CLI commands). */
  async close(): Promise<void> {
    if (this.sdk) (await this.sdk).client.destroy();
  }
}
