/**
 * Signing decisions with a key people already have: an OpenSSH Ed25519 key. An unencrypted key
 * file is read and used in-process (fast, no subprocess); anything else (a passphrase, a key
 * that lives only in ssh-agent: pass its `.pub`) goes through `ssh-keygen -Y sign`, which asks
 * the agent or the person. Either way the result is an SSHSIG that `ssh-keygen -Y verify` accepts.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes, sign as signWithNode, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  armorSignature,
  base64Decode,
  base64Encode,
  parsePublicKey,
  publicKeyFromRaw,
  signedData,
  SIGNATURE_NAMESPACE,
  type PublicKey,
} from '../workflows';

export interface StatementSigner {
  /** the public key, when known before signing (key files); for display and checks */
  publicKey?: PublicKey;
  sign(statement: string): Promise<string>;
}

export class SigningError extends Error {
  override name = 'SigningError';
}

const OPENSSH_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const OPENSSH_END = '-----END OPENSSH PRIVATE KEY-----';
const AUTH_MAGIC = 'openssh-key-v1\0';

/** Reads SSH wire strings (uint32 length, bytes) one after another. */
function wireReader(bytes: Uint8Array, at = 0) {
  return {
    skip(n: number) {
      at += n;
    },
    string(): Uint8Array {
      const n = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
      if (at + 4 + n > bytes.length) throw new SigningError('truncated OpenSSH key');
      const out = bytes.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      return out;
    },
  };
}

function sshString(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** The 32-byte seed of an unencrypted OpenSSH Ed25519 key, or undefined when it is encrypted. */
export function parseOpenSshPrivateKey(text: string): { seed: Uint8Array; publicKey: PublicKey } | undefined {
  const body = text.trim();
  if (!body.startsWith(OPENSSH_BEGIN) || !body.endsWith(OPENSSH_END)) throw new SigningError('not an OpenSSH private key');
  const bytes = base64Decode(body.slice(OPENSSH_BEGIN.length, -OPENSSH_END.length));
  if (Buffer.from(bytes.subarray(0, AUTH_MAGIC.length)).toString('latin1') !== AUTH_MAGIC)
    throw new SigningError('not an openssh-key-v1 key');
  const outer = wireReader(bytes, AUTH_MAGIC.length);
  if (Buffer.from(outer.string()).toString() !== 'none') return undefined; // encrypted: ssh-keygen asks for the passphrase
  outer.string(); // kdf name
  outer.string(); // kdf options
  outer.skip(4); // number of keys: one
  const publicKey = parsePublicKey(`ssh-ed25519 ${base64Encode(outer.string())}`);
  const inner = wireReader(outer.string(), 8); // after two check integers
  if (Buffer.from(inner.string()).toString() !== 'ssh-ed25519') throw new SigningError('only ssh-ed25519 keys can sign decisions');
  inner.string(); // the public key again
  return { seed: inner.string().subarray(0, 32), publicKey };
}

/** An unencrypted OpenSSH Ed25519 private key file's text (what `ssh-keygen -t ed25519 -N ''` writes). */
export function encodeOpenSshPrivateKey(seed: Uint8Array, comment: string): { privateKey: string; publicKey: string } {
  const pub = ed25519.getPublicKey(seed);
  const key = publicKeyFromRaw(pub);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  for (let i = 1; priv.length % 8 !== 0; i++) priv = Buffer.concat([priv, Buffer.from([i])]);
  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const blob = Buffer.concat([
    Buffer.from(AUTH_MAGIC, 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    nkeys,
    sshString(key.blob),
    sshString(priv),
  ]);
  const lines = blob.toString('base64').replace(/.{1,70}/g, '$&\n');
  return { privateKey: `${OPENSSH_BEGIN}\n${lines}${OPENSSH_END}\n`, publicKey: `${key.line} ${comment}` };
}

/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410) */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Signs in-process with a raw Ed25519 seed, through Node's own Ed25519 (OpenSSL). Ed25519 is
 * deterministic: the signatures are byte for byte @noble/curves', which the workflow verifies
 * with, but the first one costs well under a millisecond instead of the ~100 ms noble spends
 * precomputing its tables on first use (a `tourniquet approve` signs once, then exits).
 */
export function seedSigner(seed: Uint8Array): StatementSigner {
  if (seed.length !== 32) throw new SigningError('an Ed25519 seed is 32 bytes');
  const key: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const raw = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
  const publicKey = publicKeyFromRaw(new Uint8Array(raw));
  return {
    publicKey,
    async sign(statement) {
      return armorSignature(publicKey, new Uint8Array(signWithNode(null, signedData(statement, SIGNATURE_NAMESPACE), key)));
    },
  };
}

/** `ssh-keygen -Y sign`: passphrase-protected keys, and keys held by ssh-agent (give the `.pub`). */
export function sshKeygenSigner(keyPath: string): StatementSigner {
  return {
    sign(statement) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          'ssh-keygen',
          ['-Y', 'sign', '-f', keyPath, '-n', SIGNATURE_NAMESPACE, '-q'],
          { timeout: 120_000 },
          (err, stdout, stderr) => {
            if (err) reject(new SigningError(`ssh-keygen -Y sign -f ${keyPath} failed: ${(stderr || err.message).trim()}`));
            else resolve(stdout);
          },
        );
        child.stdin?.end(statement);
      });
    },
  };
}

/** A key file: OpenSSH (unencrypted in-process, otherwise ssh-keygen), a PKCS#8 PEM Ed25519 key, or a `.pub` held by ssh-agent. */
export function keyFileSigner(path: string): StatementSigner {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SigningError(`cannot read key ${path}: ${(err as Error).message}`);
  }
  if (text.includes(OPENSSH_BEGIN)) {
    const parsed = parseOpenSshPrivateKey(text);
    return parsed ? seedSigner(parsed.seed) : sshKeygenSigner(path);
  }
  if (text.includes('-----BEGIN PRIVATE KEY-----')) {
    const jwk = createPrivateKey(text).export({ format: 'jwk' });
    if (jwk.crv !== 'Ed25519' || !jwk.d) throw new SigningError(`${path} is not an Ed25519 key`);
    return seedSigner(new Uint8Array(Buffer.from(jwk.d, 'base64url')));
  }
  if (text.trim().startsWith('ssh-ed25519 ')) {
    const signer = sshKeygenSigner(path);
    signer.publicKey = parsePublicKey(text);
    return signer;
  }
  throw new SigningError(`${path} is not an Ed25519 key (OpenSSH or PKCS#8 PEM), or an ssh-ed25519 .pub held by ssh-agent`);
}

/**
 * The key to sign as `identity` with: the one named (`--key`, TOURNIQUET_KEY), else the keys
 * directory's `<identity>` file (TOURNIQUET_KEYS_DIR; `npm run dev` puts its demo identities' keys
 * in `.data/keys/`). Undefined when there is none: the decision goes unsigned and is refused,
 * unless the engine runs in its explicit unauthenticated demo mode.
 */
export function findSigner(
  identity: string,
  options: { key?: string; keysDir?: string; env?: NodeJS.ProcessEnv } = {},
): StatementSigner | undefined {
  const env = options.env ?? process.env;
  const named = options.key ?? env.TOURNIQUET_KEY;
  if (named) return cachedKeyFileSigner(named) ?? keyFileSigner(named); // the second says why it cannot be read
  const dir = options.keysDir ?? env.TOURNIQUET_KEYS_DIR;
  if (!dir || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(identity)) return undefined;
  return cachedKeyFileSigner(join(dir, identity));
}

/**
 * A process deciding again and again (a bench, a service on the client library) would read and
 * parse the same key file for every decision, about a millisecond each: the signer is kept per
 * file, and a file replaced or rewritten since (another inode, size or time) is read again.
 * Undefined when there is no such file.
 */
const keyFileSigners = new Map<string, { stamp: string; signer: StatementSigner }>();
function cachedKeyFileSigner(path: string): StatementSigner | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return undefined;
  const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = keyFileSigners.get(path);
  if (known?.stamp === stamp) return known.signer;
  const signer = keyFileSigner(path);
  if (keyFileSigners.size >= 64) keyFileSigners.delete(keyFileSigners.keys().next().value!);
  keyFileSigners.set(path, { stamp, signer });
  return signer;
}

/**
 * Writes a key pair per identity into `dir` (`<id>`, `<id>.pub`) and an `allowed_signers` file for
 * them, keeping keys that already exist. The demo stack and the tests use it; people bring their own.
 */
export function ensureKeys(dir: string, identities: readonly string[]): { allowedSigners: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  for (const id of identities) {
    const path = join(dir, id);
    if (!existsSync(path)) {
      const { privateKey, publicKey } = encodeOpenSshPrivateKey(randomBytes(32), id);
      writeFileSync(path, privateKey, { mode: 0o600 });
      writeFileSync(`${path}.pub`, `${publicKey}\n`);
    }
    const pub = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    lines.push(`${id} namespaces="${SIGNATURE_NAMESPACE}" ${pub}`);
  }
  const allowedSigners = join(dir, 'allowed_signers');
  writeFileSync(allowedSigners, `${lines.join('\n')}\n`);
  return { allowedSigners };
}
