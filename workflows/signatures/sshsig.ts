/**
 * SSH signatures (OpenSSH's PROTOCOL.sshsig, what `ssh-keygen -Y sign` writes) over Ed25519, in
 * pure JS: the workflow verifies decisions with this deterministic code, the CLI and the gateway
 * build the same blobs, and `ssh-keygen -Y verify` checks what either of them signed.
 */
import type { EdwardsPoint } from '@noble/curves/abstract/edwards.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

export const SIGNATURE_NAMESPACE = 'tourniquet';
const MAGIC = utf8ToBytes('SSHSIG');
const KEY_TYPE = 'ssh-ed25519';
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX: Record<string, number> = Object.fromEntries([...B64].map((c, i) => [c, i]));

/** Base64 without Buffer or atob, which the workflow sandbox does not promise. */
export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) throw new SignatureFormatError('not base64');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of clean) {
    value = (value << 6) | B64_INDEX[c]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

export function base64Encode(bytes: Uint8Array, pad = true): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < 4; k++) out += k < chars ? B64[(n >> (18 - 6 * k)) & 63] : pad ? '=' : '';
  }
  return out;
}

export class SignatureFormatError extends Error {
  override name = 'SignatureFormatError';
}

class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  raw(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) throw new SignatureFormatError('truncated');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u32(): number {
    const b = this.raw(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
  string(): Uint8Array {
    return this.raw(this.u32());
  }
  text(): string {
    return new TextDecoder().decode(this.string());
  }
  get done(): boolean {
    return this.at === this.bytes.length;
  }
}

function u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sshString(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? utf8ToBytes(value) : value;
  return concat(u32(bytes.length), bytes);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An Ed25519 public key, as an `authorized_keys` line gives it: `ssh-ed25519 AAAA… comment`. */
export interface PublicKey {
  /** the 32-byte Ed25519 point */
  raw: Uint8Array;
  /** the SSH wire blob (`string "ssh-ed25519" || string raw`) */
  blob: Uint8Array;
  /** `ssh-ed25519 <base64 blob>`, without a comment: how keys are compared and recorded */
  line: string;
  /** `SHA256:<base64>`, as `ssh-keygen -l` prints it */
  fingerprint: string;
}

export function publicKeyFromBlob(blob: Uint8Array): PublicKey {
  const r = new Reader(blob);
  const type = r.text();
  if (type !== KEY_TYPE) throw new SignatureFormatError(`unsupported key type ${type} (only ${KEY_TYPE})`);
  const raw = r.string();
  if (raw.length !== 32 || !r.done) throw new SignatureFormatError('malformed ssh-ed25519 key');
  return { raw, blob, line: `${KEY_TYPE} ${base64Encode(blob)}`, fingerprint: `SHA256:${base64Encode(sha256(blob), false)}` };
}

export function publicKeyFromRaw(raw: Uint8Array): PublicKey {
  return publicKeyFromBlob(concat(sshString(KEY_TYPE), sshString(raw)));
}

/** Parses `ssh-ed25519 AAAA… [comment]`. */
export function parsePublicKey(line: string): PublicKey {
  const [type, body] = line.trim().split(/\s+/);
  if (type !== KEY_TYPE || !body) throw new SignatureFormatError(`not an ${KEY_TYPE} public key: expected "${KEY_TYPE} AAAA…"`);
  return publicKeyFromBlob(base64Decode(body));
}

export interface SshSignature {
  publicKey: PublicKey;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  signature: Uint8Array;
}

/** What Ed25519 actually signs: the preamble, namespace and the message's hash (PROTOCOL.sshsig §3). */
export function signedData(message: string | Uint8Array, namespace: string, hashAlgorithm: 'sha256' | 'sha512' = 'sha512'): Uint8Array {
  const bytes = typeof message === 'string' ? utf8ToBytes(message) : message;
  const hash = hashAlgorithm === 'sha512' ? sha512(bytes) : sha256(bytes);
  return concat(MAGIC, sshString(namespace), sshString(''), sshString(hashAlgorithm), sshString(hash));
}

/** Wraps a raw Ed25519 signature over `signedData(...)` into the armored SSHSIG text. */
export function armorSignature(
  publicKey: PublicKey,
  signature: Uint8Array,
  namespace = SIGNATURE_NAMESPACE,
  hashAlgorithm: 'sha256' | 'sha512' = 'sha512',
): string {
  const blob = concat(
    MAGIC,
    u32(1),
    sshString(publicKey.blob),
    sshString(namespace),
    sshString(''),
    sshString(hashAlgorithm),
    sshString(concat(sshString(KEY_TYPE), sshString(signature))),
  );
  const body = base64Encode(blob).replace(/.{1,76}/g, '$&\n');
  return `${ARMOR_BEGIN}\n${body}${ARMOR_END}\n`;
}

export function parseSignature(armored: string): SshSignature {
  const text = armored.trim();
  if (!text.startsWith(ARMOR_BEGIN) || !text.endsWith(ARMOR_END))
    throw new SignatureFormatError('not an SSH signature (-----BEGIN SSH SIGNATURE-----)');
  const r = new Reader(base64Decode(text.slice(ARMOR_BEGIN.length, -ARMOR_END.length)));
  if (!equalBytes(r.raw(6), MAGIC)) throw new SignatureFormatError('bad SSHSIG preamble');
  if (r.u32() !== 1) throw new SignatureFormatError('unsupported SSHSIG version');
  const publicKey = publicKeyFromBlob(r.string());
  const namespace = r.text();
  r.string(); // reserved
  const hashAlgorithm = r.text();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new SignatureFormatError(`unsupported hash ${hashAlgorithm}`);
  const sig = new Reader(r.string());
  if (sig.text() !== KEY_TYPE) throw new SignatureFormatError('signature is not ssh-ed25519');
  const signature = sig.string();
  if (signature.length !== 64 || !sig.done || !r.done) throw new SignatureFormatError('malformed ssh-ed25519 signature');
  return { publicKey, namespace, hashAlgorithm, signature };
}

/** window of each known key's precomputed table: about 500 point additions to build, 100 KB to keep */
const KEY_WINDOW = 4;
const KEY_POINTS_MAX = 32;
const keyPoints = new Map<string, EdwardsPoint>();

/** The key's decoded point, with its multiplication table: approvers' and the gateway's keys sign again and again. */
function keyPoint(raw: Uint8Array): EdwardsPoint {
  const id = base64Encode(raw);
  let point = keyPoints.get(id);
  if (!point) {
    point = ed25519.Point.fromBytes(raw, true).precompute(KEY_WINDOW, false);
    if (keyPoints.size >= KEY_POINTS_MAX) keyPoints.delete(keyPoints.keys().next().value!);
    keyPoints.set(id, point);
  }
  return point;
}

/**
 * `ed25519.verify(signature, message, publicKey)` of @noble/curves, step for step (RFC 8032
 * §5.1.7's cofactored check, with that function's default ZIP-215 decoding), except that the key's
 * point is decoded once and multiplied through a precomputed table: [k]A was two thirds of a
 * verification, and the validator of every decision pays it (issue 15). The same answers for every
 * input: a test compares the two on valid, tampered and malformed signatures.
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const { Point } = ed25519;
  const r = signature.subarray(0, 32);
  let A: EdwardsPoint, R: EdwardsPoint, SB: EdwardsPoint;
  try {
    A = keyPoint(publicKey);
    R = Point.fromBytes(r, true);
    SB = Point.BASE.multiplyUnsafe(bytesToNumberLE(signature.subarray(32))); // refuses S >= L
  } catch {
    return false;
  }
  const k = Point.Fn.create(bytesToNumberLE(sha512(concat(r, publicKey, message)))); // R || A || M
  return R.add(A.multiplyUnsafe(k)).subtract(SB).clearCofactor().is0();
}

export type SignatureCheck = { ok: true; key: PublicKey } | { ok: false; reason: string };

/**
 * Checks an armored signature over `message` in `namespace` by one of `allowed` keys
 * (`ssh-ed25519 AAAA…` lines). Never throws: a malformed signature is a reason, not a crash.
 */
export function verifySignature(
  armored: string,
  message: string,
  allowed: readonly string[],
  namespace = SIGNATURE_NAMESPACE,
): SignatureCheck {
  let sig: SshSignature;
  try {
    sig = parseSignature(armored);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (sig.namespace !== namespace) return { ok: false, reason: `signed for namespace "${sig.namespace}", not "${namespace}"` };
  const known = allowed.some((line) => {
    try {
      return equalBytes(parsePublicKey(line).blob, sig.publicKey.blob);
    } catch {
      return false;
    }
  });
  if (!known) return { ok: false, reason: `signed by key ${sig.publicKey.fingerprint}, which is not bound to this identity` };
  let valid: boolean;
  try {
    valid = verifyEd25519(sig.signature, signedData(message, namespace, sig.hashAlgorithm), sig.publicKey.raw);
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true, key: sig.publicKey }
    : { ok: false, reason: `the signature by ${sig.publicKey.fingerprint} does not match the decision` };
}
