export { FileEvidenceStore, type EvidenceStore } from './store';
export { recordArtifact, type Artifact } from './record';
export { redact, redactText, fingerprint } from './redact';
export { verifyEvidence, type EvidenceVerification, type EntryCheck } from './verify';
