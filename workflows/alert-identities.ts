/**
 * Which distinct alerts an incident has seen, by the sender's own identity (Alertmanager's
 * fingerprint, Falco's event uuid, the GitHub alert number, a generic `fingerprint`), and whether
 * each is firing or resolved: deliveries are counted elsewhere, so re-sends never inflate this.
 *
 * Bounded, whatever the alert volume: the first EXACT_KEYS identities are kept exactly (a Map of
 * the gateway's 11-character hashes, about 1 MB at most), with firing/resolved per identity. Beyond
 * that, new identities only feed a HyperLogLog sketch of 4,096 one-byte registers (4 KB, standard
 * error about 1.6%): `distinct` becomes an estimate and `exact` false; firing/resolved keep
 * counting the identities held exactly. Deterministic (workflow code): plain JS, no crypto.
 */

export const EXACT_KEYS = 10_000;
const REGISTER_BITS = 12;
const REGISTERS = 1 << REGISTER_BITS;

export interface IdentityCounts {
  distinct: number;
  /** identities (of those held exactly) whose latest word is firing */
  firing: number;
  /** identities (of those held exactly) whose latest word is resolved */
  resolved: number;
  /** false once more than EXACT_KEYS identities were seen: `distinct` is then an estimate */
  exact: boolean;
}

/** cyrb53: a fast 53-bit string hash, deterministic across platforms. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * An AlertIdentities as plain JSON, for a continue-as-new input: the fixed-length keys
 * concatenated per status (11 characters each for the gateway's keys), and the sketch's registers
 * as characters. About 11 bytes per identity.
 */
export interface IdentitiesSnapshot {
  keyLength: number;
  firing: string;
  resolved: string;
  sketch?: string;
}

const SKETCH_BASE = 48; // register r is the character (48 + r): printable, r ≤ 42

export class AlertIdentities {
  /** identity → resolved? */
  private readonly known = new Map<string, boolean>();
  private resolvedCount = 0;
  private sketch?: Uint8Array;

  /** `capacity`: how many identities are held exactly before the sketch takes over */
  constructor(private readonly capacity = EXACT_KEYS) {}

  /** Whether this identity is held (exactly); undefined when unknown or only in the sketch. */
  status(key: string): 'firing' | 'resolved' | undefined {
    const r = this.known.get(key);
    return r === undefined ? undefined : r ? 'resolved' : 'firing';
  }

  /** Every key must be `keyLength` characters long (the gateway's keys are). */
  snapshot(keyLength: number): IdentitiesSnapshot {
    const firing: string[] = [];
    const resolved: string[] = [];
    for (const [k, r] of this.known) {
      if (k.length !== keyLength) throw new Error(`identity key of ${k.length} characters; the snapshot takes ${keyLength}`);
      (r ? resolved : firing).push(k);
    }
    const snap: IdentitiesSnapshot = { keyLength, firing: firing.join(''), resolved: resolved.join('') };
    if (this.sketch) snap.sketch = String.fromCharCode(...Array.from(this.sketch, (r) => r + SKETCH_BASE));
    return snap;
  }

  static restore(snap: IdentitiesSnapshot, capacity = EXACT_KEYS): AlertIdentities {
    const ids = new AlertIdentities(capacity);
    const n = snap.keyLength;
    for (let i = 0; i + n <= snap.firing.length; i += n) ids.known.set(snap.firing.slice(i, i + n), false);
    for (let i = 0; i + n <= snap.resolved.length; i += n) ids.known.set(snap.resolved.slice(i, i + n), true);
    ids.resolvedCount = snap.resolved.length / n;
    if (snap.sketch) ids.sketch = Uint8Array.from(snap.sketch, (c) => c.charCodeAt(0) - SKETCH_BASE);
    return ids;
  }

  /**
   * Records one identity's latest status; returns whether it is new, changed status, or neither
   * (a re-send, or a retry of a delivery already recorded: idempotent).
   */
  observe(key: string, resolved: boolean): 'new' | 'changed' | 'same' {
    const was = this.known.get(key);
    if (was === undefined) {
      if (this.known.size >= this.capacity) return this.observeBeyond(key);
      this.known.set(key, resolved);
      if (resolved) this.resolvedCount += 1;
      return 'new';
    }
    if (was === resolved) return 'same';
    this.known.set(key, resolved);
    this.resolvedCount += resolved ? 1 : -1;
    return 'changed';
  }

  counts(): IdentityCounts {
    const exact = this.sketch === undefined;
    return {
      distinct: exact ? this.known.size : Math.max(this.known.size, this.estimate()),
      firing: this.known.size - this.resolvedCount,
      resolved: this.resolvedCount,
      exact,
    };
  }

  private observeBeyond(key: string): 'new' | 'same' {
    if (!this.sketch) {
      this.sketch = new Uint8Array(REGISTERS);
      for (const k of this.known.keys()) this.addToSketch(k);
    }
    return this.addToSketch(key) ? 'new' : 'same';
  }

  /** true when a register grew (the identity was certainly not seen before) */
  private addToSketch(key: string): boolean {
    const h = hash53(key);
    const index = h % REGISTERS;
    let rest = Math.floor(h / REGISTERS); // 41 bits
    let rank = 1;
    while (rank <= 41 && rest % 2 === 0) {
      rank += 1;
      rest = Math.floor(rest / 2);
    }
    if (this.sketch![index]! >= rank) return false;
    this.sketch![index] = rank;
    return true;
  }

  private estimate(): number {
    const sketch = this.sketch!;
    let sum = 0;
    let zeros = 0;
    for (const r of sketch) {
      sum += 2 ** -r;
      if (r === 0) zeros += 1;
    }
    const m = REGISTERS;
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw);
  }
}
