/**
 * Data at rest: a Temporal PayloadCodec that encrypts every payload (workflow inputs, update and
 * signal arguments, activity inputs and results, memos) with AES-256-GCM before it leaves the
 * process, so the server's database and its history exports hold ciphertext. Redaction keeps
 * secrets out of history; this keeps everything else in it unreadable without the key.
 *
 * Keys: `TOURNIQUET_PAYLOAD_KEY` (or a file, `TOURNIQUET_PAYLOAD_KEY_FILE`) is a base64 32-byte key,
 * or `id:base64,id2:base64`. The first is current (encrypts); every one decrypts, so a key is
 * rotated by putting the new one first and keeping the old one until no history needs it. The key
 * id travels in the payload's metadata (as Temporal's samples do) and is bound to the ciphertext.
 */
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
// A CommonJS module whose exports Node's ESM loader cannot name: take the default.
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
/** the id of a key given without one */
export const DEFAULT_KEY_ID = 'default';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const { Payload: PayloadProto } = proto.temporal.api.common.v1;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);
/** Binds the ciphertext to its key id: a payload relabelled with another id does not decrypt. */
const aad = (keyId: string) => Buffer.from(`tourniquet-payload:${keyId}`, 'utf8');

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

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const id = this.keys.currentId;
    const key = this.keys.key(id)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(id));
      const plain = PayloadProto.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [METADATA_CIPHER]: utf8(CIPHER), [METADATA_KEY_ID]: utf8(id) },
        data: sealed,
      };
    });
  }

  /** Plain payloads (written before encryption was on) pass through; encrypted ones need a configured key. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[METADATA_KEY_ID]);
      const cipher = text(payload.metadata?.[METADATA_CIPHER]) ?? CIPHER;
      if (!id) throw new ValueError('encrypted payload without a key id');
      if (cipher !== CIPHER) throw new ValueError(`encrypted payload uses ${cipher}; this codec reads ${CIPHER}`);
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is too short');
      for (const [, key] of this.keys.candidates(id)) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES)).setAAD(aad(id));
          decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
          const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
          return PayloadProto.decode(plain) as Payload;
        } catch {
          // the wrong key (or a tampered payload): GCM's tag says so; try the next key
        }
      }
      throw new ValueError(
        `cannot decrypt a payload encrypted with key "${id}": no configured key opens it (configured: ${this.keys.ids.join(', ')})`,
      );
    });
  }
}

/** The data converter every Temporal connection of Tourniquet uses: plain JSON without keys, encrypted with them. */
export function dataConverterFor(keys: PayloadKeys | undefined): DataConverter | undefined {
  return keys ? { payloadCodecs: [new EncryptionCodec(keys)] } : undefined;
}
