/**
 * SSHSIG over Ed25519 (workflows/signatures/sshsig.ts) against the reference: OpenSSH's own
 * ssh-keygen. What it signs we verify; what we sign it verifies; and whatever is wrong with a
 * signature comes back as a reason, never as an exception (the workflow calls this in a validator).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ensureKeys, findSigner, keyFileSigner, parseOpenSshPrivateKey, seedSigner } from '../client/signing';
import { armorSignature, base64Decode, base64Encode, parsePublicKey, signedData, verifyEd25519, verifySignature } from '../workflows';

let dir: string;
const MESSAGE = 'tourniquet-decision-v1\n{"approver":"alice","decision":"approve"}\n';
const pub = (id: string) => readFileSync(join(dir, `${id}.pub`), 'utf8').trim();

function sshKeygen(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ssh-keygen', args, { input: input ?? '', encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `ssh-keygen -Y sign` of MESSAGE (or another message) by a key in `dir`. */
function opensshSign(id: string, options: { namespace?: string; hashalg?: 'sha256' | 'sha512'; message?: string } = {}): string {
  const args = [
    '-Y',
    'sign',
    '-f',
    join(dir, id),
    '-n',
    options.namespace ?? 'tourniquet',
    '-q',
    ...(options.hashalg ? ['-O', `hashalg=${options.hashalg}`] : []),
  ];
  const r = sshKeygen(args, options.message ?? MESSAGE);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** `ssh-keygen -Y verify` of a signature over `message` as `identity`, with `dir/allowed_signers`. */
function opensshVerify(signature: string, identity: string, message = MESSAGE, namespace = 'tourniquet') {
  const sigFile = join(dir, 'candidate.sig');
  writeFileSync(sigFile, signature);
  return sshKeygen(['-Y', 'verify', '-f', join(dir, 'allowed_signers'), '-I', identity, '-n', namespace, '-s', sigFile], message);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tourniquet-sshsig-'));
  for (const id of ['alice', 'mallory']) expect(sshKeygen(['-q', '-t', 'ed25519', '-N', '', '-C', id, '-f', join(dir, id)]).code).toBe(0);
  writeFileSync(join(dir, 'allowed_signers'), `alice namespaces="tourniquet" ${pub('alice')}\nmallory ${pub('mallory')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SSH signatures, checked against ssh-keygen', () => {
  it('computes the same key fingerprint as ssh-keygen -l', () => {
    const printed = sshKeygen(['-l', '-f', join(dir, 'alice.pub')]).stdout.split(/\s+/)[1];
    expect(parsePublicKey(pub('alice')).fingerprint).toBe(printed);
  });

  it.each(['sha512', 'sha256'] as const)('verifies what ssh-keygen -Y sign wrote (hashalg=%s)', (hashalg) => {
    const check = verifySignature(opensshSign('alice', { hashalg }), MESSAGE, [pub('alice')]);
    expect(check).toMatchObject({ ok: true, key: { fingerprint: parsePublicKey(pub('alice')).fingerprint } });
  });

  it('signs what ssh-keygen -Y verify accepts, with the same allowed_signers file', async () => {
    const ours = await keyFileSigner(join(dir, 'alice')).sign(MESSAGE);
    const r = opensshVerify(ours, 'alice');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Good "tourniquet" signature for alice with ED25519 key ${parsePublicKey(pub('alice')).fingerprint}`);
    // and ssh-keygen refuses it for another message or another person, as we do
    expect(opensshVerify(ours, 'alice', `${MESSAGE} `).code).not.toBe(0);
    expect(opensshVerify(ours, 'mallory').code).not.toBe(0);
  });

  it("signs with Node's Ed25519 exactly what @noble/curves, which the workflow verifies with, signs", async () => {
    for (let i = 0; i < 20; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const message = `${MESSAGE}${i}`;
      const signer = seedSigner(seed);
      expect(base64Encode(signer.publicKey!.raw)).toBe(base64Encode(ed25519.getPublicKey(seed)));
      expect(await signer.sign(message)).toBe(armorSignature(signer.publicKey!, ed25519.sign(signedData(message, 'tourniquet'), seed)));
      expect(verifySignature(await signer.sign(message), message, [signer.publicKey!.line]).ok).toBe(true);
    }
  });

  it('refuses a signature made for another namespace, both ways', async () => {
    expect(verifySignature(opensshSign('alice', { namespace: 'git' }), MESSAGE, [pub('alice')])).toEqual({
      ok: false,
      reason: 'signed for namespace "git", not "tourniquet"',
    });
    // ours, signed for "git" by mallory (whose allowed_signers line names no namespace): ssh-keygen
    // takes it for git and refuses it for tourniquet, so the namespace is where it expects it
    const oursForGit = signFor('mallory', 'git');
    expect(opensshVerify(oursForGit, 'mallory', MESSAGE, 'git').code).toBe(0);
    expect(opensshVerify(oursForGit, 'mallory').code).not.toBe(0);
    expect(verifySignature(oursForGit, MESSAGE, [pub('mallory')])).toEqual({
      ok: false,
      reason: 'signed for namespace "git", not "tourniquet"',
    });
  });

  it('refuses a signature by a key not bound to the identity', () => {
    const check = verifySignature(opensshSign('mallory'), MESSAGE, [pub('alice')]);
    expect(check).toEqual({
      ok: false,
      reason: `signed by key ${parsePublicKey(pub('mallory')).fingerprint}, which is not bound to this identity`,
    });
  });

  it('refuses a tampered message', () => {
    const signature = opensshSign('alice');
    for (const message of [MESSAGE.replace('approve', 'apprové'), MESSAGE.slice(0, -1), `${MESSAGE}\n`, '']) {
      expect(verifySignature(signature, message, [pub('alice')])).toEqual({
        ok: false,
        reason: `the signature by ${parsePublicKey(pub('alice')).fingerprint} does not match the decision`,
      });
    }
  });

  it('answers malformed armor with a reason, never an exception', () => {
    const good = opensshSign('alice');
    const body = good.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, '');
    const armor = (b64: string) => `-----BEGIN SSH SIGNATURE-----\n${b64}\n-----END SSH SIGNATURE-----\n`;
    const blob = base64Decode(body);
    const cases: Record<string, string> = {
      empty: '',
      'not armored': 'hello',
      'armor only': armor(''),
      'no end line': good.replace('-----END SSH SIGNATURE-----', ''),
      'not base64': armor('SSHSIG!!!!'),
      'one stray base64 char': armor(`${body}A`),
      truncated: armor(body.slice(0, 40)),
      'wrong magic': armor(base64Encode(new Uint8Array([0x58, ...blob.subarray(1)]))),
      'trailing bytes': armor(base64Encode(new Uint8Array([...blob, 0]))),
      'a PGP signature': '-----BEGIN PGP SIGNATURE-----\niQEz\n-----END PGP SIGNATURE-----',
      'huge length field': armor(base64Encode(new Uint8Array([...blob.subarray(0, 10), 0xff, 0xff, 0xff, 0xff]))),
    };
    for (const [name, armored] of Object.entries(cases)) {
      let check;
      expect(() => (check = verifySignature(armored, MESSAGE, [pub('alice')])), name).not.toThrow();
      expect(check, name).toMatchObject({ ok: false, reason: expect.any(String) });
    }
    // garbage keys in the allowed list are skipped, not fatal
    expect(verifySignature(good, MESSAGE, ['not a key', 'ssh-rsa AAAA', pub('alice')]).ok).toBe(true);
  });

  it('accepts no single-byte change anywhere in a valid signature (no malleability, no crash)', () => {
    const blob = base64Decode(opensshSign('alice').replace(/-----[A-Z ]+-----/g, ''));
    for (let i = 0; i < blob.length; i++) {
      const changed = new Uint8Array(blob);
      changed[i] = changed[i]! ^ 0x01;
      const armored = `-----BEGIN SSH SIGNATURE-----\n${base64Encode(changed)}\n-----END SSH SIGNATURE-----\n`;
      expect(verifySignature(armored, MESSAGE, [pub('alice')]).ok, `byte ${i}`).toBe(false);
    }
  });
});

/** Our SSHSIG code, signing in any namespace with a key file's seed. */
function signFor(id: string, namespace: string): string {
  const { seed, publicKey } = parseOpenSshPrivateKey(readFileSync(join(dir, id), 'utf8'))!;
  return armorSignature(publicKey, ed25519.sign(signedData(MESSAGE, namespace), seed), namespace);
}

describe('Ed25519 verification with a table per key (verifyEd25519) answers as @noble/curves does', () => {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  // encodings that decode to points of small order, the identity among them, and some that do not decode
  const oddPoints = [
    le(1n), // the identity (y = 1)
    le(2n ** 255n - 20n), // y = -1, order 2
    le(0n), // order 4
    le(2n ** 255n + 1n), // the identity with the sign bit set
    le(2n ** 255n - 19n + 1n), // y = p + 1: non-canonical, accepted only by ZIP-215 decoding
    new Uint8Array(32).fill(0xff),
  ];

  function same(signature: Uint8Array, message: Uint8Array, key: Uint8Array, what: string) {
    let reference: boolean;
    try {
      reference = ed25519.verify(signature, message, key);
    } catch {
      reference = false;
    }
    expect(verifyEd25519(signature, message, key), what).toBe(reference);
    return reference;
  }

  it('valid signatures, tampered ones, S at or beyond the group order, and odd keys and R', () => {
    let valid = 0;
    for (let n = 0; n < 4; n++) {
      const seed = randomBytes(32);
      const key = ed25519.getPublicKey(seed);
      for (let m = 0; m < 6; m++) {
        const message = randomBytes(1 + m * 40);
        const signature = ed25519.sign(message, seed);
        if (same(signature, message, key, `valid ${n}/${m}`)) valid += 1;
        for (const bit of [0, 7, 100, 255, 256, 300, 511]) {
          const flipped = new Uint8Array(signature);
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          same(flipped, message, key, `signature bit ${bit}`);
        }
        same(signature, Uint8Array.of(...message, 0), key, 'message extended');
        const s = signature.subarray(32).reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
        for (const big of [s + L, L, 2n ** 256n - 1n])
          same(Uint8Array.of(...signature.subarray(0, 32), ...le(big)), message, key, 'S >= L');
        for (const odd of oddPoints) {
          same(signature, message, odd, 'odd key');
          same(Uint8Array.of(...odd, ...signature.subarray(32)), message, key, 'odd R');
        }
      }
    }
    expect(valid).toBe(24);
  });

  it('the cofactored check and ZIP-215 decoding, where other verifiers differ', () => {
    const { Point } = ed25519;
    const message = randomBytes(20);
    const order4 = Point.fromBytes(le(0n), true);
    // R with a torsion part: only the cofactored equation accepts it
    const seed = randomBytes(32);
    const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
    const r = 12345678901234567890n;
    const R = Point.BASE.multiply(r).add(order4).toBytes();
    const k = Point.Fn.create(sha512(Uint8Array.of(...R, ...pointBytes, ...message)).reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n));
    const torsioned = Uint8Array.of(...R, ...le(Point.Fn.create(r + k * scalar)));
    expect(same(torsioned, message, pointBytes, 'R with a torsion part')).toBe(true);
    // the identity as the key, non-canonically encoded (y = p + 1): only ZIP-215 decoding takes it
    const s = 987654321n;
    const byIdentity = Uint8Array.of(...Point.BASE.multiply(s).toBytes(), ...le(s));
    expect(same(byIdentity, message, le(2n ** 255n - 19n + 1n), 'non-canonical identity key')).toBe(true);
    // and R so encoded, over a small-order key
    expect(same(Uint8Array.of(...le(2n ** 255n - 19n + 1n), ...le(0n)), message, le(1n), 'non-canonical identity R')).toBe(true);
  });
});

describe('findSigner keeps a key file it has read, until the file changes', () => {
  it('signs with the key now in the file: replaced, rewritten or removed since the last decision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tourniquet-signer-cache-'));
    try {
      const pubOf = (id: string) => parsePublicKey(readFileSync(join(dir, `${id}.pub`), 'utf8'));
      const signedBy = async (id: string) => {
        const signer = findSigner(id, { keysDir: dir, env: {} });
        if (!signer) return undefined;
        const armored = await signer.sign('statement');
        return verifySignature(armored, 'statement', [pubOf(id).line]).ok;
      };
      ensureKeys(dir, ['erin']);
      expect(await signedBy('erin')).toBe(true);
      expect(findSigner('erin', { keysDir: dir, env: {} })).toBe(findSigner('erin', { keysDir: dir, env: {} }));
      // a new key pair in place of the old one (rename over it: another inode)
      const other = mkdtempSync(join(tmpdir(), 'tourniquet-signer-other-'));
      ensureKeys(other, ['erin']);
      renameSync(join(other, 'erin'), join(dir, 'erin'));
      renameSync(join(other, 'erin.pub'), join(dir, 'erin.pub'));
      rmSync(other, { recursive: true, force: true });
      expect(await signedBy('erin')).toBe(true);
      // rewritten in place with yet another key
      const third = mkdtempSync(join(tmpdir(), 'tourniquet-signer-third-'));
      ensureKeys(third, ['erin']);
      writeFileSync(join(dir, 'erin'), readFileSync(join(third, 'erin')));
      writeFileSync(join(dir, 'erin.pub'), readFileSync(join(third, 'erin.pub')));
      rmSync(third, { recursive: true, force: true });
      expect(await signedBy('erin')).toBe(true);
      rmSync(join(dir, 'erin'));
      expect(findSigner('erin', { keysDir: dir, env: {} })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
