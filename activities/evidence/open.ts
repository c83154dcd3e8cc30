/**
 * The evidence store a configuration names: the S3 bucket when one is set (shared by every worker
 * and the CLI), the local directory otherwise (the embedded default).
 */
import { S3EvidenceStore, type S3EvidenceSettings } from './s3-store';
import { FileEvidenceStore, type EvidenceStore } from './store';

export interface EvidenceStoreSettings {
  /** the local directory, used when no bucket is set */
  dir: string;
  s3?: S3EvidenceSettings;
}

export function openEvidenceStore(settings: EvidenceStoreSettings): EvidenceStore {
  return settings.s3 ? new S3EvidenceStore(settings.s3) : new FileEvidenceStore(settings.dir);
}
