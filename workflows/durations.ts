/** Durations people write ("90s", "30m", "2h"): pure, so policies, playbooks and clients share one reading. */
import ms, { type StringValue } from 'ms';

/** Milliseconds for "90s", "30m", "2h"; undefined for anything else (ms() throws on "" ). */
export function parseDuration(text: string): number | undefined {
  if (!text.trim()) return undefined;
  try {
    const v = ms(text as StringValue);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}
