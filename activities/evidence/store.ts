/**
 * Where evidence bytes live. The workflow keeps only references (`evidence://<incident>/<sha256>`),
 * so artifacts of any size stay out of Temporal's history. Writes are content-addressed, which
 * makes a retried activity write the same file again instead of a second one.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface StoredArtifact {
  uri: string;
}

export interface EvidenceStore {
  put(incidentId: string, sha256: string, bytes: Uint8Array, extension: string): Promise<StoredArtifact>;
  get(uri: string): Promise<Buffer>;
}

const URI = /^evidence:\/\/([^/]+)\/([0-9a-f]{64})\.([a-z0-9]+)$/;

export class FileEvidenceStore implements EvidenceStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(incidentDir: string, file: string): string {
    return join(this.root, incidentDir, file);
  }

  async put(incidentId: string, sha256: string, bytes: Uint8Array, extension: string): Promise<StoredArtifact> {
    const dir = encodeURIComponent(incidentId);
    const file = `${sha256}.${extension}`;
    const target = this.path(dir, file);
    const exists = await stat(target).then(
      (s) => s.size === bytes.byteLength,
      () => false,
    );
    if (!exists) {
      await mkdir(join(this.root, dir), { recursive: true });
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, target);
    }
    return { uri: `evidence://${dir}/${file}` };
  }

  async get(uri: string): Promise<Buffer> {
    const m = URI.exec(uri);
    if (!m) throw new Error(`not an evidence URI this store can read: ${uri}`);
    return readFile(this.path(m[1]!, `${m[2]}.${m[3]}`));
  }
}
