/**
 * The payload keys (TOURNIQUET_PAYLOAD_KEY): parsed and held without ever showing a key. The codec
 * that uses them is worker/payload-codec.ts.
 */

/** the id of a key given without one */
export const DEFAULT_KEY_ID = 'default';
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

/** The configured keys. Key bytes are in a private field, so the object never shows them in a log or a JSON dump. */
export class PayloadKeys {
  readonly #keys: Map<string, Buffer>;
  readonly currentId: string;

  constructor(keys: ReadonlyArray<readonly [string, Buffer]>) {
    if (keys.length === 0) throw new PayloadKeyError('no payload key');
    this.#keys = new Map(keys);
    this.currentId = keys[0]![0];
  }

  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  /** Every key, the one with this id first: a payload whose id names no configured key may still be ours under another name. */
  candidates(id: string): Array<[string, Buffer]> {
    const first = this.#keys.get(id);
    return [...(first ? [[id, first] as [string, Buffer]] : []), ...[...this.#keys].filter(([k]) => k !== id)];
  }
}

/**
 * `base64` or `id:base64[,id:base64…]` (commas or newlines between), each key exactly 32 bytes.
 * Errors name `source` (the variable) and the entry's position, never a key.
 */
export function parsePayloadKeys(spec: string, source: string): PayloadKeys {
  const entries = spec
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new PayloadKeyError(`${source} is empty`);
  const keys: Array<[string, Buffer]> = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? DEFAULT_KEY_ID : entry.slice(0, colon);
    const b64 = colon < 0 ? entry : entry.slice(colon + 1);
    const where = `${source}, key ${i + 1}`;
    if (!KEY_ID.test(id)) throw new PayloadKeyError(`${where}: a key id is letters, digits, dots, dashes and underscores (at most 64)`);
    if (keys.some(([k]) => k === id)) throw new PayloadKeyError(`${where}: key id "${id}" is given twice`);
    const key = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) throw new PayloadKeyError(`${where}: must be 32 bytes in base64 (e.g. from \`openssl rand -base64 32\`)`);
    keys.push([id, key]);
  });
  return new PayloadKeys(keys);
}
