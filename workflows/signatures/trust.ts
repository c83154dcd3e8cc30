/**
 * Who may speak for whom. A snapshot of the worker's key directory, taken when a gate opens and
 * recorded as evidence: each identity's own SSH keys, each identity's Slack user, and the keys of
 * the front doors that attest for Slack users (the Slack gateway). The workflow trusts a decision
 * only when one of these keys signed its exact statement; reaching Temporal proves nothing.
 */
import { verifySignature } from './sshsig';

export interface TrustSnapshot {
  /** `unauthenticated`: the explicit demo mode; every decision says so, on the timeline and in exports */
  mode: 'signed' | 'unauthenticated';
  /** identity → its public keys (`ssh-ed25519 AAAA…`) */
  keys: Record<string, string[]>;
  /** identity → its Slack user id: the Slack gateway may attest a click by that user for it */
  slack: Record<string, string>;
  /** the Slack gateway's keys: trusted only for identities that map to the Slack user who clicked */
  slackGateway: string[];
}

export interface Signer {
  /** `person`: the identity's own key; `slack-gateway`: the gateway attests the Slack user's click */
  by: 'person' | 'slack-gateway' | 'unauthenticated';
  /** SHA256:… of the key that signed */
  key?: string;
}

export type Authentication = { ok: true; signer: Signer } | { ok: false; message: string };

/** Longest validity a signed decision may claim: a captured one is useless after this. */
export const MAX_VALIDITY_MS = 15 * 60_000;

/**
 * Signature checks are pure, and one decision is checked by the validator, the handler and the
 * vote it becomes: remember the last few results rather than verify Ed25519 three times.
 */
const checked = new Map<string, ReturnType<typeof verifySignature>>();
function verifyOnce(signature: string, statement: string, keys: readonly string[]): ReturnType<typeof verifySignature> {
  const key = `${signature}\u0000${statement}\u0000${keys.join(',')}`;
  let result = checked.get(key);
  if (!result) {
    result = verifySignature(signature, statement, keys);
    if (checked.size >= 64) checked.delete(checked.keys().next().value!);
    checked.set(key, result);
  }
  return result;
}

const own = <T>(record: Record<string, T>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

export function slackUserOfVia(via: string): string | undefined {
  return /^slack:([UW][A-Z0-9]{2,})$/.exec(via)?.[1];
}

/** Is `signature` over `statement` by a key allowed to speak for `identity` (arriving through `via`)? */
export function authenticate(
  trust: TrustSnapshot,
  claim: { identity: string; via: string; statement: string; signature?: string | undefined; validUntil?: string | undefined },
  /**
   * workflow time, for the validity window; undefined in update handlers, which apply what the
   * validator accepted: a time check there could answer differently when the history is replayed
   */
  now: number | undefined,
): Authentication {
  if (trust.mode === 'unauthenticated') return { ok: true, signer: { by: 'unauthenticated' } };
  if (!claim.signature) {
    return {
      ok: false,
      message: `unsigned decision for ${claim.identity}: decisions must be signed with a key bound to the approver (tourniquet approve --key, or Slack)`,
    };
  }
  if (!claim.validUntil) return { ok: false, message: 'a signed decision must carry validUntil' };
  if (now !== undefined && Date.parse(claim.validUntil) - now > MAX_VALIDITY_MS) {
    return {
      ok: false,
      message: `the decision claims validity until ${claim.validUntil}, more than ${MAX_VALIDITY_MS / 60_000} minutes ahead`,
    };
  }
  const personal = verifyOnce(claim.signature, claim.statement, own(trust.keys, claim.identity) ?? []);
  if (personal.ok) return { ok: true, signer: { by: 'person', key: personal.key.fingerprint } };
  const slackUser = slackUserOfVia(claim.via);
  if (
    slackUser &&
    trust.slackGateway.length > 0 &&
    (own(trust.slack, claim.identity) === slackUser || claim.identity === `slack:${slackUser}`)
  ) {
    const gateway = verifyOnce(claim.signature, claim.statement, trust.slackGateway);
    if (gateway.ok) return { ok: true, signer: { by: 'slack-gateway', key: gateway.key.fingerprint } };
  }
  return { ok: false, message: `not signed by a key bound to ${claim.identity}: ${personal.reason}` };
}
