/**
 * Deriving the SSH public key of a leaked private key, checked against ssh-keygen's own answer
 * (where ssh-keygen is installed) for every key type and file format deploy keys come in.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSshPublicKey, sshFingerprint, sshPublicKeyOf, SshKeyError } from '../activities/github/revokers/ssh-keys';
import { ed25519KeyPair } from './support/github-leaks';

const hasSshKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== 'ENOENT';
  }
})();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-ssh-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sshPublicKeyOf', () => {
  it("derives an Ed25519 PKCS#8 key's public key in the form GitHub lists", () => {
    const { privateKey, publicKey } = ed25519KeyPair();
    expect(sshPublicKeyOf(privateKey)).toBe(normalizeSshPublicKey(publicKey));
    expect(sshPublicKeyOf(privateKey.replace(/\n/g, '\\n'))).toBe(normalizeSshPublicKey(publicKey)); // escaped newlines, as in .env files
  });

  it.runIf(hasSshKeygen).each([
    ['ed25519', []],
    ['rsa', ['-b', '2048']],
    ['ecdsa', ['-b', '256']],
    ['ecdsa', ['-b', '384']],
  ])('matches ssh-keygen for %s keys in OpenSSH format, encrypted or not', async (type, bits) => {
    for (const passphrase of ['', 'correct horse']) {
      const file = join(dir, `${type}-${bits.join('')}-${passphrase ? 'enc' : 'plain'}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase, '-C', 'ci', '-f', file]);
      const expected = normalizeSshPublicKey(await readFile(`${file}.pub`, 'utf8'));
      expect(sshPublicKeyOf(await readFile(file, 'utf8'))).toBe(expected);
      const keygenFingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`])
        .toString()
        .split(' ')[1];
      expect(sshFingerprint(expected)).toBe(keygenFingerprint);
    }
  });

  it.runIf(hasSshKeygen).each(['rsa', 'ec'] as const)('matches ssh-keygen for %s keys in PEM', async (type) => {
    const { privateKey } =
      type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const format of type === 'rsa' ? (['pkcs1', 'pkcs8'] as const) : (['sec1', 'pkcs8'] as const)) {
      const pem = privateKey.export({ format: 'pem', type: format }).toString();
      const file = join(dir, `${type}-${format}.pem`);
      await writeFile(file, pem, { mode: 0o600 });
      const expected = normalizeSshPublicKey(execFileSync('ssh-keygen', ['-y', '-f', file]).toString());
      expect(sshPublicKeyOf(pem)).toBe(expected);
    }
  });

  it('refuses, with a reason, what it cannot read', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
    expect(() => sshPublicKeyOf(encrypted)).toThrow(SshKeyError);
    expect(() => sshPublicKeyOf(encrypted)).toThrow(/passphrase-protected PEM/);
    expect(() => sshPublicKeyOf('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----')).toThrow(
      /not a private key node:crypto can read/,
    );
  });
});
