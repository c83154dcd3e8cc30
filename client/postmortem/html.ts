/** The postmortem as one self-contained HTML file: no scripts, no external assets. */
import { alertCounts, decisionMeasure, escapeHtml as esc, formatDuration } from './format';
import type { Postmortem } from './model';
import {
  decisionsUnauthenticated,
  shortSignature,
  signedVotes,
  signerLabel,
  UNAUTHENTICATED_BANNER,
  UNAUTHENTICATED_EXPLANATION,
} from './signed';
import { timelineSvg } from './timeline-chart';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1040px;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;margin-left:6px}
.resolved,.approved{background:#2e7d32}.denied,.failed,.expired{background:#c62828}.cancelled{background:#757575}.open,.awaiting-approval,.acting,.contained{background:#f9a825}.drill{background:#6a1b9a}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;min-width:140px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eaeef2;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f6f8fa}
code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px}svg{width:100%;height:auto;background:#fbfcfd;border:1px solid #eaeef2;border-radius:8px}
svg .grid{stroke:#e5e8eb}svg .tick{font-size:11px;fill:#57606a;text-anchor:middle}svg .lane{font-size:12px;fill:#1f2328;text-anchor:end}
svg .contained{stroke:#2e7d32;stroke-width:2;stroke-dasharray:4 3}svg .contained-label{fill:#2e7d32;text-anchor:end}figure{margin:0}figcaption{font-size:12px;margin-top:4px}
.unauthenticated{background:#c62828}.warning{border:2px solid #c62828;border-radius:8px;padding:8px 12px;color:#8e0000;font-weight:600}pre{font-size:11px;background:#f6f8fa;padding:6px;overflow-x:auto}`;

const row = (cells: string[]) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
const table = (head: string[], rows: string[][]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map(row).join('')}</tbody></table>`;

export function renderHtml(pm: Postmortem): string {
  const i = pm.incident;
  const d = pm.durations;
  const card = (label: string, value: number | undefined) => `<div class="card">${esc(label)}<b>${esc(formatDuration(value))}</b></div>`;
  const approvals = pm.approvals
    .map(
      (g) => `<h3>${esc(g.gate_id)}: ${esc(g.step)} <span class="badge ${esc(g.status)}">${esc(g.status)}</span></h3>
<p class="meta"><code>${esc(g.action)}</code> on <code>${esc(g.target)}</code> · risk ${esc(g.risk)} · policy ${esc(g.policy)}: ${g.quorum} of ${esc(g.eligible.join(', '))} · requester ${esc(g.requester)} · digest <code>${esc(g.digest.slice(0, 16))}…</code>${g.closed_reason ? ` · ${esc(g.closed_reason)}` : ''}</p>
${table(
  ['who', 'decision', 'when', 'reason', 'via', 'vouched for by', 'key', 'signature'],
  [
    ...g.votes.map((v) => [
      esc(v.approver),
      esc(v.decision),
      esc(v.at),
      esc(v.reason ?? ''),
      esc(v.via),
      esc(signerLabel(v.signer, v.via)),
      `<code>${esc(v.signer?.key ?? '—')}</code>`,
      `<code>${esc(shortSignature(v.signature))}</code>`,
    ]),
    ...g.refusals.map((r) => [
      esc(r.actor),
      `refused: ${esc(r.code)}`,
      esc(r.at),
      esc(r.message),
      esc(r.via ?? ''),
      r.signer ? esc(signerLabel(r.signer, r.via ?? '')) : '',
      r.signer?.key ? `<code>${esc(r.signer.key)}</code>` : '',
      '',
    ]),
  ],
)}`,
    )
    .join('\n');
  const unauthenticated = decisionsUnauthenticated(pm);
  const signatures = signedVotes(pm)
    .map(
      ({ label, vote }) =>
        `<p class="meta">${esc(label)} · ${esc(signerLabel(vote.signer, vote.via))} · key <code>${esc(vote.signer?.key ?? '—')}</code> · valid until ${esc(vote.valid_until ?? '—')} · nonce <code>${esc(vote.nonce ?? '—')}</code></p><pre>${esc(vote.signature.trim())}</pre>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`Postmortem: ${i.title}${unauthenticated ? ` (${UNAUTHENTICATED_BANNER})` : ''}`)}</title><style>${STYLE}</style></head>
<body>
<h1>${i.mode === 'drill' ? '<span class="badge drill">DRILL</span> ' : ''}${esc(i.title)}<span class="badge ${esc(i.state)}">${esc(i.state)}</span>${unauthenticated ? `<span class="badge unauthenticated">${UNAUTHENTICATED_BANNER}</span>` : ''}</h1>
${unauthenticated ? `<p class="warning">${esc(UNAUTHENTICATED_BANNER)}: ${esc(UNAUTHENTICATED_EXPLANATION)}.</p>\n` : ''}<p class="meta">Incident <code>${esc(i.id)}</code> · playbook <code>${esc(i.playbook)}</code> · requested by ${esc(i.requester)}${i.outcome ? ` · ${esc(i.outcome)}` : ''}</p>
<div class="cards">${card(decisionMeasure(pm.approvals.map((g) => g.status)), d.time_to_approve_ms)}${card('time to contain', d.time_to_contain_ms)}${card('time to resolve', d.time_to_resolve_ms)}${d.exposure_window_ms !== undefined ? card('exposure window', d.exposure_window_ms) : ''}${card('detection delay', d.detection_delay_ms)}</div>
<h2>Timeline</h2>
${timelineSvg(pm)}
<h2>Approvals</h2>
${approvals || '<p>No approval was needed.</p>'}
<h2>Steps</h2>
${table(
  ['#', 'time', 'event', 'actor', 'what'],
  pm.steps.map((s) => [String(s.seq), esc(s.at), esc(s.kind), esc(s.actor), esc(s.summary)]),
)}
<h2>Evidence <span class="badge ${pm.evidence.verified ? 'approved' : 'failed'}">${pm.evidence.verified ? 'verified' : 'verification failed'}</span></h2>
${table(
  ['#', 'name', 'sha256', 'size', 'check'],
  pm.evidence.entries.map((e) => [
    String(e.seq),
    esc(e.name),
    `<code>${esc(e.sha256)}</code>`,
    `${e.size} B`,
    e.ok ? 'ok' : esc(e.problems.join('; ')),
  ]),
)}
${signatures ? `<details><summary>Signatures (check with <code>tourniquet verify</code> on the JSON export)</summary>\n${signatures}\n</details>\n` : ''}<p class="meta">${esc(alertCounts(pm.alerts))}. Generated by Tourniquet at ${esc(pm.generated_at)} (${esc(pm.schema)}).</p>
</body></html>
`;
}
