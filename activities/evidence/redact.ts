/**
 * Secret redaction for everything Tourniquet keeps (evidence, timeline details, logs). A secret is
 * replaced by a fingerprint, `[REDACTED:<kind> sha256:<12 hex> last4:<4>]`, which lets people match
 * it against a rotated key without ever holding the value.
 */
import { createHash } from 'node:crypto';

interface SecretPattern {
  kind: string;
  pattern: RegExp;
}

const PATTERNS: SecretPattern[] = [
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'slack-token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g },
  { kind: 'slack-webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { kind: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
  { kind: 'bearer', pattern: /(?<=\bBearer\s+)[A-Za-z0-9._~+/-]{16,}=*/g },
  { kind: 'url-password', pattern: /(?<=:\/\/[^/\s:@]+:)[^/\s@]+(?=@)/g },
];

/** Keys whose values are secrets whatever they look like (`bypass` and `compass` are not). */
const SECRET_KEY =
  /(^|[_.-])pass$|passw(or)?d$|secret$|token$|api[_-]?key$|private[_-]?key$|credentials?$|authorization$|cookie$|signing[_-]?key$/i;

/** Below this length the last four characters give too much of a secret away. */
const MIN_LENGTH_FOR_LAST4 = 16;

export function fingerprint(secret: string, kind = 'secret'): string {
  const hash = createHash('sha256').update(secret).digest('hex').slice(0, 12);
  const last4 = secret.length >= MIN_LENGTH_FOR_LAST4 ? secret.slice(-4) : '····';
  return `[REDACTED:${kind} sha256:${hash} last4:${last4}]`;
}

export interface RedactOptions {
  /** exact values known to be secret (e.g. the leaked token an alert is about) */
  known?: readonly string[];
}

export interface Redacted<T> {
  value: T;
  redactions: number;
}

export function redactText(text: string, options: RedactOptions = {}): Redacted<string> {
  let redactions = 0;
  let out = text;
  for (const secret of options.known ?? []) {
    if (secret.length < 4) continue;
    const parts = out.split(secret);
    if (parts.length > 1) {
      redactions += parts.length - 1;
      out = parts.join(fingerprint(secret, 'known'));
    }
  }
  for (const { kind, pattern } of PATTERNS) {
    out = out.replace(pattern, (match) => {
      if (match.startsWith('[REDACTED:')) return match;
      redactions += 1;
      return fingerprint(match, kind);
    });
  }
  return { value: out, redactions };
}

/** Deep redaction of JSON-like data: secret-named keys lose their value, strings are scanned. */
export function redact<T>(value: T, options: RedactOptions = {}): Redacted<T> {
  let redactions = 0;
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && SECRET_KEY.test(key) && v !== null && v !== undefined && v !== '') {
      if (typeof v === 'string' && v.startsWith('[REDACTED:')) return v;
      redactions += 1;
      return fingerprint(typeof v === 'string' ? v : JSON.stringify(v), key.toLowerCase());
    }
    if (typeof v === 'string') {
      const r = redactText(v, options);
      redactions += r.redactions;
      return r.value;
    }
    if (Array.isArray(v)) return v.map((item) => walk(item));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
    }
    return v;
  };
  const out = walk(value) as T;
  return { value: out, redactions };
}
