import { createHash } from 'node:crypto';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { redactDeep, redactSecrets, type RedactOptions } from '../../redaction';
import type { EvidenceStore } from './store';

export interface Artifact {
  incidentId: string;
  name: string;
  /** JSON-like data is stored as pretty JSON; a string as text */
  content: unknown;
  redact?: RedactOptions;
}

/** Redacts, hashes and stores an artifact; what comes back is all the workflow keeps. */
export async function recordArtifact(store: EvidenceStore, artifact: Artifact): Promise<EvidenceRef> {
  const isText = typeof artifact.content === 'string';
  const { value, redactions } = isText
    ? await redactSecrets(artifact.content as string, artifact.redact)
    : await redactDeep(artifact.content, artifact.redact);
  const text = isText ? (value as string) : `${JSON.stringify(value, null, 2)}\n`;
  const bytes = Buffer.from(text, 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { uri } = await store.put(artifact.incidentId, sha256, bytes, isText ? 'txt' : 'json');
  return {
    name: artifact.name,
    sha256,
    size: bytes.byteLength,
    uri,
    contentType: isText ? 'text/plain' : 'application/json',
    redactions,
  };
}
