/**
 * Tourniquet's own secret rules: the fingerprint format, the key names whose values are secrets,
 * and the text patterns that secretlint's recommended preset lacks or treats differently (a PEM
 * block cut short, URL query secrets, `--password x`, JSON pairs, JWTs, bearer tokens). They run
 * synchronously, so they also serve where nothing may wait (log lines, error scrubbing).
 */
import { createHash } from 'node:crypto';

export interface SecretPattern {
  kind: string;
  /** global; matches the secret value only (context goes in lookarounds), so what surrounds it stays readable */
  pattern: RegExp;
}

/** A name that announces a secret in `name=value`, `--name value` or `"name": "value"`. */
const NAME = String.raw`(?:[A-Za-z0-9]+[_.-])*(?:pass|passwd|password|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|signing[_-]?key|sig|signature|auth)`;
/** Values that name nothing secret (flags, placeholders); never fingerprinted after a secret name. */
export const NOT_A_VALUE = /^(?:true|false|null|none|undefined|\*+|<[^>]*>|\$\{[^}]*\}|\{\{.*\}\}|\[REDACTED\])$/i;

export const PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'private-key',
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/g,
  },
  // A block with no END line (clipped by a sender, or pasted in part): the body to the end of the base64 run.
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.-]|\\[nr])*/g },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'slack-token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g },
  { kind: 'slack-webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { kind: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
  { kind: 'bearer', pattern: /(?<=\bBearer\s+)[A-Za-z0-9._~+/-]{16,}=*/g },
  { kind: 'url-password', pattern: /(?<=:\/\/[^/\s:@]+:)[^/\s@]+(?=@)/g },
  // ?password=…, &access_token=…, X-Amz-Signature=…, and `token=…` in a command line or log line.
  { kind: 'url-query-secret', pattern: new RegExp(String.raw`(?<=(?:^|[^A-Za-z0-9])${NAME}=)[^\s&#"'<>\\]{3,}`, 'gi') },
  { kind: 'cli-secret', pattern: new RegExp(String.raw`(?<=(?:^|\s)--${NAME}\s+)[^\s"'<>\\-][^\s"'<>\\]{2,}`, 'gi') },
  { kind: 'json-secret', pattern: new RegExp(String.raw`(?<="${NAME}"\s*:\s*")(?:[^"\\]|\\.){3,}(?=")`, 'gi') },
];

/** Keys whose values are secrets whatever they look like (`bypass` and `compass` are not). */
export const SECRET_KEY =
  /(^|[_.-])pass$|passw(or)?d$|secret$|token$|api[_-]?key$|private[_-]?key$|credentials?$|authorization$|cookie$|signing[_-]?key$/i;

/** Below this length the last four characters give too much of a secret away. */
const MIN_LENGTH_FOR_LAST4 = 16;

/** `[REDACTED:<kind> sha256:<12 hex> last4:<4>]`: what a secret becomes, everywhere. */
export const FINGERPRINT = /\[REDACTED:[^\n]{1,120}? sha256:[0-9a-f]{12} last4:[\s\S]{4}\]/g;
export const FINGERPRINT_START = '[REDACTED:';

export function fingerprint(secret: string, kind = 'secret'): string {
  const hash = createHash('sha256').update(secret).digest('hex').slice(0, 12);
  const last4 = secret.length >= MIN_LENGTH_FOR_LAST4 ? secret.slice(-4) : '····';
  return `[REDACTED:${kind} sha256:${hash} last4:${last4}]`;
}

/** A match that is (or contains) a fingerprint was redacted before: leave it, so redaction is idempotent. */
export function alreadyRedacted(match: string): boolean {
  return match.includes(FINGERPRINT_START);
}
