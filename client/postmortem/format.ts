/** Small formatting helpers shared by the CLI and the postmortem renderers. */

export function formatDuration(value: number | undefined): string {
  if (value === undefined) return '—';
  if (value < 1000) return `${value} ms`;
  const s = value / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const min = s / 60;
  return min < 120 ? `${min.toFixed(1)} min` : `${(min / 60).toFixed(1)} h`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Table cells: a pipe or newline from an alert title must not break the table. */
export function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
