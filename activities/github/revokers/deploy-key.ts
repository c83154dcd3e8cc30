/**
 * SSH private keys: the deploy key of the repository whose public key is the leaked key's is
 * deleted. The match is exact (key type and blob, derived from the private key); when no deploy key
 * of the repository matches, nothing is deleted and the step says so, rather than guessing.
 */
import { githubCall, statusOf } from '../errors';
import { normalizeSshPublicKey, sshFingerprint, sshPublicKeyOf, SshKeyError } from './ssh-keys';
import type { Leak, RevokeCheck, RevokePlan, Revoker, RevokerContext, RevokeResult } from './types';
import { RevokerRefusal } from './types';

const SSH_KEY_TYPES = new Set([
  'github_ssh_private_key',
  'openssh_private_key',
  'rsa_private_key',
  'ec_private_key',
  'generic_private_key',
]);

function publicKeyOf(leak: Leak): string {
  try {
    return sshPublicKeyOf(leak.secret);
  } catch (err) {
    if (err instanceof SshKeyError) throw new RevokerRefusal(`cannot tell which deploy key ${leak.fingerprint} is: ${err.message}`);
    throw err;
  }
}

function keyIdOf(plan: RevokePlan): number {
  const id = Number(plan.ref);
  if (!Number.isInteger(id) || id <= 0) throw new RevokerRefusal(`no deploy key id in the approved action (got ${plan.ref})`);
  return id;
}

/** The deploy key, or undefined when it is gone. */
async function getKey(leak: Leak, id: number, ctx: RevokerContext) {
  try {
    return (await ctx.github.api.rest.repos.getDeployKey({ owner: leak.owner, repo: leak.repo, key_id: id })).data;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    return githubCall(`GET deploy key ${id} of ${leak.owner}/${leak.repo}`, () => Promise.reject(err), [leak.secret]);
  }
}

export const deployKeyRevoker: Revoker = {
  name: 'deploy-key',

  handles: (secretType) => SSH_KEY_TYPES.has(secretType),

  async plan(leak, ctx) {
    const publicKey = publicKeyOf(leak);
    const keys = await githubCall(
      `list deploy keys of ${leak.owner}/${leak.repo}`,
      () => ctx.github.api.paginate(ctx.github.api.rest.repos.listDeployKeys, { owner: leak.owner, repo: leak.repo, per_page: 100 }),
      [leak.secret],
    );
    const match = keys.find((k) => normalizeSshPublicKey(k.key) === publicKey);
    if (!match) {
      throw new RevokerRefusal(
        `no deploy key of ${leak.owner}/${leak.repo} matches the leaked key (${sshFingerprint(publicKey)}); ` +
          "if it is a user key or another repository's deploy key, remove it there by hand",
      );
    }
    const access = match.read_only ? 'read-only' : 'read-write';
    return {
      ref: String(match.id),
      description: `delete deploy key ${match.id} "${match.title}" (${access}, ${sshFingerprint(publicKey)}) of ${leak.owner}/${leak.repo}`,
    };
  },

  async revoke(leak: Leak, plan: RevokePlan, ctx: RevokerContext): Promise<RevokeResult> {
    const id = keyIdOf(plan);
    const key = await getKey(leak, id, ctx);
    if (!key) return { summary: `deploy key ${id} was already deleted`, changed: false, details: { alreadyRevoked: true } };
    if (normalizeSshPublicKey(key.key) !== publicKeyOf(leak)) {
      throw new RevokerRefusal(`deploy key ${id} of ${leak.owner}/${leak.repo} is not the leaked key: nothing deleted`);
    }
    if (ctx.dryRun) return { summary: `would delete deploy key ${id} "${key.title}"`, changed: false };
    await githubCall(
      `DELETE deploy key ${id} of ${leak.owner}/${leak.repo}`,
      () => ctx.github.api.rest.repos.deleteDeployKey({ owner: leak.owner, repo: leak.repo, key_id: id }),
      [leak.secret],
    );
    return { summary: `deleted deploy key ${id} "${key.title}"`, changed: true, details: { deployKeyId: id } };
  },

  async check(leak: Leak, plan: RevokePlan, ctx: RevokerContext): Promise<RevokeCheck> {
    const id = keyIdOf(plan);
    return (await getKey(leak, id, ctx))
      ? { revoked: false, summary: `deploy key ${id} still exists` }
      : { revoked: true, summary: `deploy key ${id} is gone` };
  },
};
