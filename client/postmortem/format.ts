/** Small formatting helpers shared by the CLI and the postmortem renderers. */
import type { Postmortem } from './model';

export function formatDuration(value: number | undefined): string {
  if (value === undefined) return '—';
  if (value < 1000) return `${value} ms`;
  const s = value / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const min = s / 60;
  if (min < 120) return `${min.toFixed(1)} min`;
  // days and years, so an alert stamped long ago reads "3.5 y", not "30863.8 h"
  const h = min / 60;
  if (h < 48) return `${h.toFixed(1)} h`;
  const days = h / 24;
  return days < 365 ? `${days.toFixed(1)} d` : `${(days / 365.25).toFixed(1)} y`;
}

/**
 * What the time from alert to decision measured: the clock marks the decision either way, and
 * calling a denial's "time to approve" misleads whoever reads the postmortem.
 */
export function decisionMeasure(gateStatuses: readonly string[]): string {
  if (gateStatuses.includes('approved')) return 'time to approve';
  if (gateStatuses.includes('denied')) return 'time to deny';
  return 'time to decide';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Table cells: a pipe or newline from an alert title must not break the table. */
export function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** "3 distinct alert(s) (1 firing, 2 resolved), 600 deliveries in 4 batch(es)"; older exports have deliveries only. */
export function alertCounts(a: Postmortem['alerts']): string {
  const deliveries = `${a.total} ${a.distinct === undefined ? 'alert(s)' : 'deliveries'} in ${a.batches} batch(es)`;
  if (a.distinct === undefined) return deliveries;
  const truncated = a.truncated ? `; up to ${a.truncated} left out by the sender` : '';
  return `${a.exact === false ? 'about ' : ''}${a.distinct} distinct alert(s) (${a.firing ?? 0} firing, ${a.resolved ?? 0} resolved), ${deliveries}${truncated}`;
}
