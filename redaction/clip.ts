/**
 * Clipping redacted text to a length limit. Always after redaction: clipping first can cut a PEM
 * block's END line, and then no rule sees a whole key. Never cuts a fingerprint (a cut one would
 * leave `[REDACTED:private-key sha2…`, useless for matching), nor a surrogate pair.
 */
import { FINGERPRINT } from './rules';

export const ELLIPSIS = '…';

/** `text` if it fits in `max` characters, else its longest prefix that ends before any cut fingerprint, plus `…`. */
export function clipRedacted(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let cut = max - ELLIPSIS.length;
  for (const m of text.matchAll(FINGERPRINT)) {
    if (m.index >= cut) break;
    if (m.index + m[0].length > cut) {
      cut = m.index;
      break;
    }
  }
  const code = text.charCodeAt(cut - 1);
  if (cut > 0 && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
}
