/**
 * The SSH public key of a leaked private key, in the `ssh-ed25519 AAAA…` form GitHub lists deploy
 * keys in, so a deploy key is matched exactly (key type and blob), never guessed from a title.
 *
 * OpenSSH's own format (`BEGIN OPENSSH PRIVATE KEY`, what ssh-keygen writes) carries the public key
 * in clear, even when the private part is encrypted; PEM keys (PKCS#1, PKCS#8, SEC1) go through
 * node:crypto. Anything else — an encrypted PEM, a DSA key — is refused with a reason.
 */
import { createHash, createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';

export class SshKeyError extends Error {
  override name = 'SshKeyError';
}

function sshString(bytes: Uint8Array | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** SSH mpint: big-endian, with a leading zero byte when the high bit is set (it is unsigned). */
function sshMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i += 1;
  const trimmed = unsigned.subarray(i);
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

const b64url = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');

const EC_CURVES: Record<string, string> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

function blobFromJwk(jwk: JsonWebKey): Buffer {
  if (jwk.kty === 'RSA') return Buffer.concat([sshString('ssh-rsa'), sshMpint(b64url(jwk.e)), sshMpint(b64url(jwk.n))]);
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(b64url(jwk.x))]);
  const curve = jwk.kty === 'EC' ? EC_CURVES[jwk.crv ?? ''] : undefined;
  if (curve) {
    const point = Buffer.concat([Buffer.from([4]), b64url(jwk.x), b64url(jwk.y)]);
    return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]);
  }
  throw new SshKeyError(`unsupported key type ${jwk.kty}${jwk.crv ? `/${jwk.crv}` : ''}`);
}

function readSshString(buf: Buffer, at: number): { value: Buffer; next: number } {
  if (at + 4 > buf.length) throw new SshKeyError('truncated OpenSSH private key');
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) throw new SshKeyError('truncated OpenSSH private key');
  return { value: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

function blobFromOpenSsh(base64: string): Buffer {
  const buf = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
  if (!buf.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) throw new SshKeyError('not an openssh-key-v1 private key');
  let at = OPENSSH_MAGIC.length;
  for (let i = 0; i < 3; i += 1) at = readSshString(buf, at).next; // cipher, kdf, kdf options
  if (at + 4 > buf.length) throw new SshKeyError('truncated OpenSSH private key');
  const count = buf.readUInt32BE(at);
  if (count !== 1) throw new SshKeyError(`an OpenSSH key file with ${count} keys`);
  return readSshString(buf, at + 4).value;
}

function openSshLine(blob: Buffer): string {
  const type = readSshString(blob, 0).value.toString('utf8');
  return `${type} ${blob.toString('base64')}`;
}

/** `ssh-ed25519 AAAA…` (no comment) for a private key in OpenSSH or PEM form. Throws SshKeyError. */
export function sshPublicKeyOf(privateKey: string): string {
  // Secrets found in config files often have their newlines escaped.
  const text = privateKey.replace(/\\n/g, '\n').trim();
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) return openSshLine(blobFromOpenSsh(openssh[1]!));
  if (/Proc-Type:\s*4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(text)) {
    throw new SshKeyError('the key is passphrase-protected PEM: its public key cannot be derived from it');
  }
  let jwk: JsonWebKey;
  try {
    jwk = createPublicKey(createPrivateKey(text)).export({ format: 'jwk' });
  } catch (err) {
    throw new SshKeyError(`not a private key node:crypto can read (${(err as Error).message.split('\n')[0]})`);
  }
  return openSshLine(blobFromJwk(jwk));
}

/** `ssh-ed25519 AAAA… comment` → `ssh-ed25519 AAAA…`, for comparing keys. */
export function normalizeSshPublicKey(line: string): string {
  const [type, blob] = line.trim().split(/\s+/);
  return `${type ?? ''} ${blob ?? ''}`;
}

/** `SHA256:…` as `ssh-keygen -l` prints it: safe to show, it identifies a public key. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(normalizeSshPublicKey(publicKeyLine).split(' ')[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
