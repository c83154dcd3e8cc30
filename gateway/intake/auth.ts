/**
 * Who may post alerts: a per-source bearer token (Falcosidekick, Alertmanager, generic senders) or,
 * for GitHub, the HMAC signature of the delivery's raw body (`X-Hub-Signature-256`, checked by
 * @octokit/webhooks). Comparisons are constant-time; secrets never appear in answers or logs.
 */
import { Webhooks } from '@octokit/webhooks';
import { hash, timingSafeEqual } from 'node:crypto';
import type { IntakeSource } from './routing';
import { secretVariables } from './config';

export type AuthResult = { ok: true } | { ok: false; message: string };

const digest = (s: string) => hash('sha256', s, 'buffer');

function notConfigured(source: IntakeSource): AuthResult {
  return {
    ok: false,
    message: `alert intake for ${source} is not configured: set ${secretVariables(source).join(' or ')} and send it ${
      source === 'github' ? 'as the webhook secret' : 'as "Authorization: Bearer <token>"'
    }`,
  };
}

/** Checks `Authorization: Bearer <token>` against the accepted tokens, in constant time. */
export function bearerChecker(source: IntakeSource, tokens: readonly string[]): (authorization: string | undefined) => AuthResult {
  const accepted = tokens.map(digest);
  return (authorization) => {
    if (accepted.length === 0) return notConfigured(source);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { ok: false, message: `missing bearer token: send "Authorization: Bearer <token>" (${source})` };
    const presented = digest(match[1]!);
    // compare with every accepted token, so timing does not tell which one (or whether any) matched
    let ok = false;
    for (const token of accepted) ok = timingSafeEqual(presented, token) || ok;
    return ok ? { ok: true } : { ok: false, message: `bad bearer token for ${source}` };
  };
}

/** Verifies a GitHub delivery's `X-Hub-Signature-256` over its raw body with any of the configured secrets. */
export function githubVerifier(secrets: readonly string[]): (rawBody: string, signature: string | undefined) => Promise<AuthResult> {
  const hooks = secrets.map((secret) => new Webhooks({ secret }));
  return async (rawBody, signature) => {
    if (hooks.length === 0) return notConfigured('github');
    if (!signature) return { ok: false, message: 'missing X-Hub-Signature-256: configure a secret on the GitHub webhook' };
    if (!/^sha256=[0-9a-f]{64}$/.test(signature)) return { ok: false, message: 'malformed X-Hub-Signature-256' };
    const results = await Promise.all(hooks.map((h) => h.verify(rawBody, signature).catch(() => false)));
    return results.some(Boolean)
      ? { ok: true }
      : { ok: false, message: 'bad signature: X-Hub-Signature-256 does not match the body and the configured secret' };
  };
}
