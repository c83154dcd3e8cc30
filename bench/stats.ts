/**
 * Percentiles and the one-line rows the bench prints. Nearest-rank percentiles: with n=60, p95 is
 * the 57th smallest sample, i.e. the three slowest incidents are above it.
 */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1]! };
}

const LABEL_WIDTH = 40;
const fmt = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)}`.padStart(5);

/** `label  p50 … p95 … max … (n=…)`, plus PASS/MISS against a p95 target when one is given. */
export function row(label: string, samples: readonly number[], targetP95Ms?: number): string {
  const s = summarize(samples);
  if (!s) return `  ${label.padEnd(LABEL_WIDTH)} no samples`;
  const figures = `p50 ${fmt(s.p50)} ms  p95 ${fmt(s.p95)} ms  max ${fmt(s.max)} ms  (n=${s.n})`;
  const verdict = targetP95Ms === undefined ? '' : `  ${s.p95 < targetP95Ms ? 'PASS' : 'MISS'} (p95 < ${targetP95Ms} ms)`;
  return `  ${label.padEnd(LABEL_WIDTH)} ${figures}${verdict}`;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
