/**
 * Where evidence bytes live. The workflow keeps only references (`evidence://<incident>/<sha256>`),
 * so artifacts of any size stay out of Temporal's history. Writes are content-addressed and
 * put-if-absent: a retried or replayed activity finds its artifact already there and never
 * overwrites it, so nothing a store once held can be replaced through Tourniquet.
 *
 * Two backends: a local directory (the embedded default, FileEvidenceStore) and an S3 bucket,
 * with Object Lock retention when the bucket has it (./s3-store.ts). The chain and
 * `verifyEvidence` (./verify.ts) work the same on either.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export interface StoredArtifact {
  uri: string;
}

export interface EvidenceStore {
  /** for messages: the directory, or s3://bucket/prefix */
  readonly location: string;
  /** stores the bytes under their hash unless they are already there; never overwrites */
  put(incidentId: string, sha256: string, bytes: Uint8Array, extension: string): Promise<StoredArtifact>;
  /** the stored bytes; EvidenceMissingError when the artifact, or the whole store, is not there */
  get(uri: string): Promise<Buffer>;
  /** releases connections, for short-lived users such as the CLI */
  close?(): Promise<void>;
}

/** The artifact, or the store that should hold it, is not there: lost or another store, not altered. */
export class EvidenceMissingError extends Error {
  override name = 'EvidenceMissingError';
}

export const isEvidenceMissing = (err: unknown): boolean =>
  err instanceof EvidenceMissingError || (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

const URI = /^evidence:\/\/([^/]+)\/([0-9a-f]{64})\.([a-z0-9]+)$/;

/** `evidence://<incident>/<sha256>.<ext>` → the store-relative key `<incident>/<sha256>.<ext>` */
export function evidenceKey(uri: string): string {
  const m = URI.exec(uri);
  if (!m) throw new Error(`not an evidence URI this store can read: ${uri}`);
  return `${m[1]}/${m[2]}.${m[3]}`;
}

/** The key and URI an artifact is stored under; the incident id is URI-encoded so it stays one path segment. */
export function artifactKey(incidentId: string, sha256: string, extension: string): { key: string; uri: string } {
  const key = `${encodeURIComponent(incidentId)}/${sha256}.${extension}`;
  return { key, uri: `evidence://${key}` };
}

/** On a put that found the key taken: the same bytes are a replay, other bytes are tampering. */
export function checkExisting(existing: Uint8Array, sha256: string, uri: string): void {
  const actual = createHash('sha256').update(existing).digest('hex');
  if (actual !== sha256) {
    // Not retryable: no retry makes the stored bytes right again, and overwriting them would hide the change.
    throw ApplicationFailure.nonRetryable(
      `evidence ${uri} already exists with other content (hashes to ${actual.slice(0, 12)}…): it was changed after it was recorded; not overwritten`,
      FAILURE_TYPES.EvidenceConflict,
    );
  }
}

export class FileEvidenceStore implements EvidenceStore {
  readonly root: string;
  /** incident directories this process has created or found: one mkdir each, not one per artifact */
  private readonly made = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  async put(incidentId: string, sha256: string, bytes: Uint8Array, extension: string): Promise<StoredArtifact> {
    const { key, uri } = artifactKey(incidentId, sha256, extension);
    const target = join(this.root, key);
    // Written aside, then linked into place: link() fails when the target exists (rename would replace
    // it), and a crash mid-write leaves only a .tmp file, never a partial artifact under its hash.
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await this.writeAside(join(target, '..'), tmp, bytes);
    try {
      await link(tmp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      checkExisting(await readFile(target), sha256, uri);
    } finally {
      await unlink(tmp).catch(() => {});
    }
    return { uri };
  }

  async get(uri: string): Promise<Buffer> {
    return readFile(join(this.root, evidenceKey(uri)));
  }

  /** Writes `tmp` in `dir`, creating the directory the first time (or again, if it was removed since). */
  private async writeAside(dir: string, tmp: string, bytes: Uint8Array): Promise<void> {
    if (!this.made.has(dir)) await this.makeDir(dir);
    try {
      await writeFile(tmp, bytes, { mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.makeDir(dir);
      await writeFile(tmp, bytes, { mode: 0o600 });
    }
  }

  private async makeDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    // bounded: a long-lived worker sees each incident's directory once
    if (this.made.size >= 10_000) this.made.clear();
    this.made.add(dir);
  }
}
