export { FileEvidenceStore, EvidenceMissingError, isEvidenceMissing, type EvidenceStore } from './store';
export { S3EvidenceStore, type S3EvidenceSettings, type RetentionMode, type Protection } from './s3-store';
export { openEvidenceStore, type EvidenceStoreSettings } from './open';
export { recordArtifact, type Artifact } from './record';
export { redact, redactText, fingerprint } from './redact';
export { verifyEvidence, type EvidenceVerification, type EntryCheck } from './verify';
