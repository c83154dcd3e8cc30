/**
 * Leaked secrets for the GitHub tests, made up on the spot: tokens in GitHub's formats, SSH key
 * pairs, and the approved-action envelope a destructive activity expects.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { actionDigest } from '../../workflows/canonical';
import type { ApprovedAction } from '../../workflows/contracts';
import type { FakeGitHub } from './fake-github';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function leakedToken(prefix = 'ghp_', length = 36): string {
  return prefix + [...randomBytes(length)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** A live personal access token of `dev`, leaked in acme/api: the token and its secret-scanning alert number. */
export function plantLeakedToken(fake: Pick<FakeGitHub, 'addToken' | 'addLeak'>): { secret: string; n: number } {
  const secret = leakedToken();
  fake.addToken(secret, 'dev');
  const n = fake.addLeak('acme/api', {
    secret,
    secretType: 'github_personal_access_token',
    commits: [{ authoredAt: '2026-11-20T08:00:00Z' }],
  });
  return { secret, n };
}

/** An Ed25519 key pair: the private key as PKCS#8 PEM, the public key as GitHub lists deploy keys. */
export function ed25519KeyPair(comment = 'deploy@ci'): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // Built by hand from the SPKI bytes (the raw key is its last 32), not with the code under test.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return {
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${comment}`,
  };
}

export function approved<A>(
  action: string,
  target: string,
  args: A,
  options: { dryRun?: boolean; incidentId?: string } = {},
): ApprovedAction<A> {
  return {
    incidentId: options.incidentId ?? 'inc-test',
    action,
    target,
    args,
    dryRun: options.dryRun ?? false,
    approval: { gateId: 'g1', digest: actionDigest({ action, target, args }), approvers: ['bob'], decidedAt: new Date().toISOString() },
  };
}
