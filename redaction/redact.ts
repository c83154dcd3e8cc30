/**
 * Full redaction: Tourniquet's own rules first (their kinds keep fingerprints stable across
 * versions), then secretlint's rule set over what is left, all strings of a value in one pass.
 */
import { FINGERPRINT, fingerprint } from './rules';
import { scanStrings, type Finding } from './secretlint';
import { redactKeyed, redactText, type RedactOptions, type Redacted } from './text';

export interface DeepOptions extends RedactOptions {
  /**
   * apply the key rule (values of `password`, `token`, … keys are fingerprinted whole); default
   * true. Off for data whose shape is fixed (exports, Slack messages), where only text is scanned.
   */
  secretKeys?: boolean;
}

/** One string of a value being redacted, and where to put its redacted text. */
interface Slot {
  text: string;
  set(text: string): void;
}

async function finish(slots: Slot[]): Promise<number> {
  let redactions = 0;
  const findings = await scanStrings(slots.map((s) => s.text));
  slots.forEach((slot, i) => {
    const found = widen(slot.text, findings[i]!);
    if (found.length === 0) return slot.set(slot.text);
    let out = '';
    let at = 0;
    for (const f of found) {
      out += slot.text.slice(at, f.start) + fingerprint(slot.text.slice(f.start, f.end), f.kind);
      at = f.end;
    }
    redactions += found.length;
    slot.set(out + slot.text.slice(at));
  });
  return redactions;
}

/**
 * A finding that overlaps a fingerprint (never seen, but a rule might) takes the fingerprint in
 * whole, so no fingerprint is ever cut and the result stays parseable.
 */
function widen(text: string, found: Finding[]): Finding[] {
  if (found.length === 0 || !text.includes('[REDACTED:')) return found;
  const spans = [...text.matchAll(FINGERPRINT)].map((m) => [m.index, m.index + m[0].length] as const);
  const out: Finding[] = [];
  for (const f of found) {
    let { start, end } = f;
    for (const [s, e] of spans) if (s < end && start < e) [start, end] = [Math.min(start, s), Math.max(end, e)];
    const last = out[out.length - 1];
    if (last && start < last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end, kind: f.kind });
  }
  return out;
}

/** Every secret in a text replaced by its fingerprint. */
export async function redactSecrets(text: string, options: RedactOptions = {}): Promise<Redacted<string>> {
  const own = redactText(text, options);
  let value = own.value;
  const more = await finish([{ text: own.value, set: (t) => (value = t) }]);
  return { value, redactions: own.redactions + more };
}

/** Deep redaction of JSON-like data: secret-named keys lose their value, every string is scanned. Never modifies its input. */
export async function redactDeep<T>(value: T, options: DeepOptions = {}): Promise<Redacted<T>> {
  let redactions = 0;
  const slots: Slot[] = [];
  const keys = options.secretKeys !== false;
  const walk = (v: unknown, set: (x: unknown) => void, key?: string): void => {
    const keyed = keys ? redactKeyed(key, v) : undefined;
    if (keyed) {
      if (keyed.value !== v) redactions += 1;
      return set(keyed.value);
    }
    if (typeof v === 'string') {
      const own = redactText(v, options);
      redactions += own.redactions;
      slots.push({ text: own.value, set });
      return;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      v.forEach((item, i) => walk(item, (x) => (out[i] = x)));
      return set(out);
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) walk(item, (x) => (out[k] = x), k);
      return set(out);
    }
    set(v);
  };
  let out: unknown;
  walk(value, (x) => (out = x));
  redactions += await finish(slots);
  return { value: out as T, redactions };
}
