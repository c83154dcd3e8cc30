import { createHash } from 'node:crypto';
import { verifyChain, type LedgerEntry } from '../../workflows/evidence-ledger';
import { EvidenceMissingError, isEvidenceMissing, type EvidenceStore } from './store';

export interface EntryCheck {
  seq: number;
  name: string;
  ok: boolean;
  problems: string[];
  /** true when the artifact is not in the store at all (a store that is not the worker's, or lost), as opposed to altered */
  missing?: boolean;
  /** true when the store did not answer (down, denied, not a file): unverified, but not evidence of tampering either */
  unreadable?: boolean;
}

export interface EvidenceVerification {
  ok: boolean;
  entries: EntryCheck[];
}

/** Checks the hash chain and that every stored artifact still hashes to what the ledger recorded. */
export async function verifyEvidence(store: EvidenceStore, ledger: readonly LedgerEntry[]): Promise<EvidenceVerification> {
  const chain = verifyChain(ledger);
  const entries: EntryCheck[] = [];
  for (const entry of ledger) {
    const problems = chain.filter((p) => p.seq === entry.seq).map((p) => p.problem);
    let missing = false;
    let unreadable = false;
    try {
      const bytes = await store.get(entry.uri);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== entry.sha256) problems.push(`artifact hashes to ${actual.slice(0, 12)}…, ledger says ${entry.sha256.slice(0, 12)}…`);
      if (bytes.byteLength !== entry.size) problems.push(`artifact is ${bytes.byteLength} bytes, ledger says ${entry.size}`);
    } catch (err) {
      // Lost or elsewhere (no file, no object, no bucket) is not altered: said apart from tampering.
      missing = isEvidenceMissing(err);
      unreadable = !missing;
      problems.push(
        missing
          ? `artifact missing: not in the evidence store (${entry.uri}${err instanceof EvidenceMissingError ? `: ${err.message}` : ''})`
          : `artifact unreadable: ${(err as Error).message}`,
      );
    }
    entries.push({
      seq: entry.seq,
      name: entry.name,
      ok: problems.length === 0,
      problems,
      ...(missing ? { missing } : {}),
      ...(unreadable ? { unreadable } : {}),
    });
  }
  return { ok: entries.every((e) => e.ok) && chain.length === 0, entries };
}
