/**
 * The synchronous half of redaction: exact known secrets and Tourniquet's own patterns, on text and
 * on JSON-like data. What must not wait uses it (log lines, error messages); everything that enters
 * history goes through the asynchronous boundary (./redact.ts), which adds secretlint's rules.
 */
import { PATTERNS, SECRET_KEY, NOT_A_VALUE, alreadyRedacted, fingerprint } from './rules';

export interface RedactOptions {
  /** exact values known to be secret (e.g. the leaked token an alert is about) */
  known?: readonly string[];
}

export interface Redacted<T> {
  value: T;
  redactions: number;
}

/** How a match is read and written back: as is, or inside a JSON string (a log line). */
interface Codec {
  read(match: string): string;
  write(replacement: string): string;
}

const PLAIN: Codec = { read: (m) => m, write: (r) => r };

const JSON_STRING: Codec = {
  read(match) {
    try {
      return JSON.parse(`"${match}"`) as string;
    } catch {
      return match;
    }
  },
  write: (r) => JSON.stringify(r).slice(1, -1),
};

function replaceAll(text: string, options: RedactOptions, codec: Codec): Redacted<string> {
  let redactions = 0;
  let out = text;
  for (const secret of options.known ?? []) {
    if (secret.length < 4) continue;
    const parts = out.split(secret);
    if (parts.length > 1) {
      redactions += parts.length - 1;
      out = parts.join(codec.write(fingerprint(secret, 'known')));
    }
  }
  for (const { kind, pattern } of PATTERNS) {
    out = out.replace(pattern, (match) => {
      if (alreadyRedacted(match) || NOT_A_VALUE.test(match)) return match;
      redactions += 1;
      return codec.write(fingerprint(codec.read(match), kind));
    });
  }
  return { value: out, redactions };
}

/** Known secrets and Tourniquet's patterns replaced by their fingerprints. */
export function redactText(text: string, options: RedactOptions = {}): Redacted<string> {
  return replaceAll(text, options, PLAIN);
}

/**
 * A serialized JSON line (pino's output): secrets inside its strings are fingerprinted as their
 * decoded values, and the fingerprints written back JSON-escaped, so the line stays valid JSON.
 */
export function redactJsonLine(line: string): string {
  return replaceAll(line, {}, JSON_STRING).value;
}

/** The fingerprint kind for a secret-named key, in characters a fingerprint can carry. */
export function keyKind(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9_.:-]/g, '-');
}

/** The key rule: a non-empty value under a secret-named key is fingerprinted whole, as its JSON if not a string. */
export function redactKeyed(key: string | undefined, v: unknown): { value: string } | undefined {
  if (key === undefined || !SECRET_KEY.test(key) || v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'string' && alreadyRedacted(v)) return { value: v };
  return { value: fingerprint(typeof v === 'string' ? v : JSON.stringify(v), keyKind(key)) };
}

/** Deep redaction of JSON-like data, synchronously: secret-named keys lose their value, strings are scanned. */
export function redact<T>(value: T, options: RedactOptions = {}): Redacted<T> {
  let redactions = 0;
  const walk = (v: unknown, key?: string): unknown => {
    const keyed = redactKeyed(key, v);
    if (keyed) {
      if (keyed.value !== v) redactions += 1;
      return keyed.value;
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
