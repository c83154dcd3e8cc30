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
import type { PayloadKeys } from './payload-keys';

// In a module of their own so that reading the configuration loads no protobuf (the CLI's start-up).
export { DEFAULT_KEY_ID, parsePayloadKeys, PayloadKeyError, PayloadKeys } from './payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const { Payload: PayloadProto } = proto.temporal.api.common.v1;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);
/** Binds the ciphertext to its key id: a payload relabelled with another id does not decrypt. */
const aad = (keyId: string) => Buffer.from(`tourniquet-payload:${keyId}`, 'utf8');

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
