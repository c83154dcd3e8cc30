/**
 * The evidence ledger kept in workflow state: only references to artifacts (the bytes live in the
 * evidence store), chained so that removing, reordering or altering an entry breaks every hash
 * after it. `verifyChain` is shared with the CLI's `verify-evidence`.
 */
import { canonicalJson, sha256Hex } from './canonical';

export interface EvidenceRef {
  name: string;
  sha256: string;
  size: number;
  uri: string;
  contentType: string;
  /** secrets found and replaced before hashing: fingerprints only, never the value */
  redactions: number;
  /**
   * A few small, non-secret facts the playbook needs to decide its next step (e.g. the leaking
   * commit's time, a secret's type and fingerprint). Part of the chained entry, so also tamper-evident.
   */
  facts?: Record<string, string | number | boolean | null>;
}

export interface LedgerEntry extends EvidenceRef {
  seq: number;
  step: string;
  recorded_at: string;
  prev_hash: string;
  entry_hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

function entryHash(entry: Omit<LedgerEntry, 'entry_hash'>): string {
  return sha256Hex(canonicalJson(entry));
}

export class EvidenceLedger {
  private readonly entries: LedgerEntry[] = [];

  append(step: string, ref: EvidenceRef): LedgerEntry {
    const prev = this.entries.at(-1);
    const body: Omit<LedgerEntry, 'entry_hash'> = {
      ...ref,
      seq: this.entries.length + 1,
      step,
      recorded_at: new Date().toISOString(),
      prev_hash: prev ? prev.entry_hash : GENESIS_HASH,
    };
    const entry: LedgerEntry = { ...body, entry_hash: entryHash(body) };
    this.entries.push(entry);
    return entry;
  }

  list(): LedgerEntry[] {
    return [...this.entries];
  }
}

export interface ChainProblem {
  seq: number;
  problem: string;
}

/** Problems with the chain itself (not the artifacts): empty when every link holds. */
export function verifyChain(entries: readonly LedgerEntry[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let prev = GENESIS_HASH;
  entries.forEach((entry, i) => {
    const { entry_hash, ...body } = entry;
    if (entry.seq !== i + 1) problems.push({ seq: entry.seq, problem: `sequence gap: expected ${i + 1}` });
    if (entry.prev_hash !== prev) problems.push({ seq: entry.seq, problem: 'prev_hash does not match the previous entry' });
    if (entryHash(body) !== entry_hash) problems.push({ seq: entry.seq, problem: 'entry_hash does not match the entry' });
    prev = entry_hash;
  });
  return problems;
}
