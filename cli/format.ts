/** Human-readable output for the CLI; `--json` prints the data itself instead. */
import type { GateView, IncidentStatus, TimelineEvent } from '../workflows';
import type { IncidentListing } from '../client';
import type { Report } from '../client/report';
import type { EvidenceVerification } from '../activities/evidence';
import { decisionMeasure, formatDuration as ms } from '../client/postmortem/format';
import { anyGateUnauthenticated, signerLabel, UNAUTHENTICATED_BANNER, UNAUTHENTICATED_EXPLANATION } from '../client/postmortem/signed';

/** Said at the top of status and timeline, as every export says it: nobody proved who decided. */
function unauthenticatedLine(s: Pick<IncidentStatus, 'gates'>): string | undefined {
  return anyGateUnauthenticated(s.gates) ? `  ${UNAUTHENTICATED_BANNER.toUpperCase()}: ${UNAUTHENTICATED_EXPLANATION}` : undefined;
}

const PAST = { approve: 'approved', deny: 'denied' } as const;

export function formatGate(g: GateView): string {
  const signed = (v: GateView['votes'][number]) => `${signerLabel(v.signer, v.via)}${v.signer?.key ? ` ${v.signer.key}` : ''}`;
  const votes =
    g.votes.map((v) => `${v.approver} ${PAST[v.decision]}${v.reason ? ` ("${v.reason}")` : ''} via ${v.via} [${signed(v)}]`).join('; ') ||
    'none';
  return [
    `  gate ${g.id}  ${g.status.toUpperCase()}  ${g.step}`,
    `    action    ${g.action} on ${g.target}   risk ${g.risk}`,
    `    digest    ${g.digest}`,
    `    approvers ${g.eligible.join(', ')}   (quorum ${g.quorum}, policy ${g.policy}; requester ${g.requester} cannot approve)`,
    `    votes     ${votes}`,
    g.status === 'open'
      ? `    deadline  ${g.deadline}  (${g.approvalsRemaining} more approval(s) needed)`
      : `    closed    ${g.closed_at ?? ''}  ${g.closed_reason ?? ''}`,
  ].join('\n');
}

export function formatDurations(status: Pick<IncidentStatus, 'clock' | 'gates'>): string {
  const d = status.clock.durations;
  return `${decisionMeasure(status.gates.map((g) => g.status))} ${ms(d.time_to_approve_ms)} · time to contain ${ms(d.time_to_contain_ms)} · detection delay ${ms(d.detection_delay_ms)} · time to resolve ${ms(d.time_to_resolve_ms)}`;
}

/** "alerts 3 distinct (1 firing, 2 resolved), 600 deliveries"; a status from an older worker has deliveries only. */
function alertLine(a: IncidentStatus['alerts']): string {
  if (a.distinct === undefined) return `alerts ${a.total}`;
  const distinct = `${a.exact === false ? '~' : ''}${a.distinct} distinct`;
  const states = a.resolved ? ` (${a.firing} firing, ${a.resolved} resolved)` : '';
  return `alerts ${distinct}${states}, ${a.total} deliveries${a.truncated ? `, ${a.truncated}+ left out by the sender` : ''}`;
}

/** "2 min ago": how long since an ISO time, as people read it at a glance. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Beside an open gate: its incident's alerts are all resolved, and the request still asks. */
function resolutionLine(s: IncidentStatus, g: GateView, now: number): string | undefined {
  const at = s.resolution?.all_resolved_at;
  if (g.status !== 'open' || !at) return undefined;
  return `    alerts    alert resolved ${ago(at, now)} (${at}): every alert resolved; this request stays open (route onResolved: ${s.resolution!.on_resolved})`;
}

export function formatStatus(s: IncidentStatus, now = Date.now()): string {
  return [
    `${s.id}  ${s.state.toUpperCase()}${s.mode === 'drill' ? '  [DRILL]' : ''}`,
    unauthenticatedLine(s),
    `  ${s.title}`,
    `  playbook ${s.playbook} · requester ${s.requester} · ${alertLine(s.alerts)} · evidence ${s.evidence.length}`,
    s.outcome ? `  outcome  ${s.outcome}` : undefined,
    `  ${formatDurations(s)}`,
    ...s.gates.flatMap((g) => [formatGate(g), resolutionLine(s, g, now)]),
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}

export function formatTimeline(s: IncidentStatus, events: TimelineEvent[]): string {
  // columns as wide as their widest entry: actors like slack:U07ABCDEF12 are longer than names
  const kindWidth = Math.max(22, ...events.map((e) => e.kind.length));
  const actorWidth = Math.max(12, ...events.map((e) => e.actor.length));
  const lines = events.map((e) => `${e.at}  ${e.kind.padEnd(kindWidth)} ${e.actor.padEnd(actorWidth)} ${e.summary}`);
  return [`${s.id}  ${s.state.toUpperCase()}  ${s.title}`, unauthenticatedLine(s), ...lines, '', formatDurations(s)]
    .filter((l) => l !== undefined)
    .join('\n');
}

export function formatList(rows: IncidentListing[]): string {
  if (rows.length === 0) return 'no incidents';
  return rows
    .map((r) => `${r.id.padEnd(28)} ${r.state.padEnd(18)} ${r.startedAt}  ${r.mode === 'drill' ? '[DRILL] ' : ''}${r.title}`)
    .join('\n');
}

export function formatVerification(id: string, v: EvidenceVerification, store?: string): string {
  // A missing artifact (another host's store, a lost volume) or a store that did not answer is not
  // evidence of tampering: said apart, so a storage outage does not read as an attack.
  const label = (e: EvidenceVerification['entries'][number]) => {
    if (e.ok) return 'ok      ';
    if (e.problems.length !== 1) return 'TAMPERED';
    return e.missing ? 'MISSING ' : e.unreadable ? 'UNREADABLE' : 'TAMPERED';
  };
  const lines = v.entries.map((e) => `  #${e.seq} ${label(e)} ${e.name}${e.problems.length ? `: ${e.problems.join('; ')}` : ''}`);
  const missing = v.entries.filter((e) => e.missing).length;
  const unreadable = v.entries.filter((e) => e.unreadable).length;
  const where = store ?? 'the evidence store';
  const counts = `${missing ? `, ${missing} missing from ${where}` : ''}${unreadable ? `, ${unreadable} unreadable from ${where}` : ''}`;
  const header = `${id}: evidence ${v.ok ? 'verified' : 'FAILED verification'} (${v.entries.length} entries${counts})`;
  return [header, ...lines].join('\n');
}

export function formatReport(r: Report): string {
  if (r.playbooks.length === 0)
    return `no incidents since ${r.since}${r.unreadable ? ` that could be read (${r.unreadable} did not answer: is a worker running?)` : ''}`;
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${Math.round(v * 100)}%`);
  const header = `${'playbook'.padEnd(20)} ${'incidents'.padStart(9)} ${'drills'.padStart(6)}  ${'MTTA p50 / p90'.padEnd(22)} ${'MTTC p50 / p90'.padEnd(22)} approved  denied`;
  const rows = r.playbooks.map(
    (p) =>
      `${p.playbook.padEnd(20)} ${String(p.incidents).padStart(9)} ${String(p.drills).padStart(6)}  ${`${ms(p.time_to_approve.median_ms)} / ${ms(p.time_to_approve.p90_ms)}`.padEnd(22)} ${`${ms(p.time_to_contain.median_ms)} / ${ms(p.time_to_contain.p90_ms)}`.padEnd(22)} ${pct(p.approval_rate).padStart(8)}  ${pct(p.denial_rate).padStart(6)}`,
  );
  const unread = r.unreadable ? [`(${r.unreadable} incident(s) could not be read in time and are not counted: is a worker running?)`] : [];
  const drills = r.drills?.run
    ? [`drills: ${r.drills.run} run, ${r.drills.passed} met every SLO (${pct(r.drills.pass_rate)})`]
    : ['drills: none run in this window'];
  return [`since ${r.since}`, header, ...rows, ...unread, ...drills].join('\n');
}
