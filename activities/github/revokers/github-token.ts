/**
 * GitHub tokens: revoked through the credential revocation API (`POST /credentials/revoke`), which
 * revokes a token whoever owns it and notifies the owner. GitHub answers 403 to an authenticated
 * call there, so it goes out without credentials. The API answers 202 whatever the token was, so
 * whether a token is alive is asked by using it once: `GET /user` with it answers 401 once it is dead.
 */
import { githubCall, statusOf } from '../errors';
import type { Leak, RevokeCheck, RevokePlan, Revoker, RevokerContext, RevokeResult } from './types';
import { RevokerRefusal } from './types';

/** Token prefixes the credential revocation API accepts, and what people call them. */
const REVOCABLE: Record<string, string> = {
  ghp_: 'personal access token (classic)',
  github_pat_: 'fine-grained personal access token',
  gho_: 'OAuth app access token',
  ghu_: 'GitHub App user access token',
  ghr_: 'GitHub App refresh token',
};

function prefixOf(secret: string): string | undefined {
  return Object.keys(REVOCABLE).find((p) => secret.startsWith(p));
}

/** undefined: a token that cannot authenticate an API call by itself (refresh tokens). */
async function isAlive(leak: Leak, ctx: RevokerContext): Promise<{ alive: boolean; login?: string } | undefined> {
  if (leak.secret.startsWith('ghr_')) return undefined;
  try {
    const { data } = await ctx.github.withToken(leak.secret).rest.users.getAuthenticated();
    return { alive: true, login: data.login };
  } catch (err) {
    if (statusOf(err) === 401) return { alive: false };
    return githubCall('GET /user with the leaked token', () => Promise.reject(err), [leak.secret]);
  }
}

export const githubTokenRevoker: Revoker = {
  name: 'github-token',

  handles: (secretType) => secretType.startsWith('github_') && secretType !== 'github_ssh_private_key',

  async plan(leak) {
    const prefix = prefixOf(leak.secret);
    if (!prefix) {
      const hint = leak.secret.startsWith('ghs_')
        ? 'GitHub App installation tokens (ghs_) are not accepted by the credential revocation API and expire within an hour'
        : 'its prefix is not one the credential revocation API accepts (ghp_, github_pat_, gho_, ghu_, ghr_)';
      throw new RevokerRefusal(`cannot revoke this ${leak.secretType} ${leak.fingerprint}: ${hint}`);
    }
    return {
      ref: null,
      description: `revoke the ${REVOCABLE[prefix]} ${leak.fingerprint} through GitHub's credential revocation API (its owner is notified)`,
    };
  },

  async revoke(leak: Leak, _plan: RevokePlan, ctx: RevokerContext): Promise<RevokeResult> {
    const before = await isAlive(leak, ctx);
    if (before && !before.alive)
      return { summary: `${leak.fingerprint} was already revoked`, changed: false, details: { alreadyRevoked: true } };
    if (ctx.dryRun) return { summary: `would revoke ${leak.fingerprint} through POST /credentials/revoke`, changed: false };
    // Unauthenticated on purpose: see the header.
    await githubCall('POST /credentials/revoke', () => ctx.github.anonymous.rest.credentials.revoke({ credentials: [leak.secret] }), [
      leak.secret,
    ]);
    return { summary: `revoked ${leak.fingerprint} through the credential revocation API`, changed: true };
  },

  async check(leak: Leak, _plan: RevokePlan, ctx: RevokerContext): Promise<RevokeCheck> {
    const now = await isAlive(leak, ctx);
    if (!now) return { revoked: true, summary: 'revocation accepted (a refresh token cannot be checked through the API)' };
    return now.alive
      ? { revoked: false, summary: `${leak.fingerprint} still authenticates (as ${now.login})` }
      : { revoked: true, summary: `${leak.fingerprint} is dead: GET /user with it answers 401` };
  },
};
