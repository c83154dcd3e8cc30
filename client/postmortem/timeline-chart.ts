/**
 * The visual timeline: one lane per phase (exposure, detection, each approval wait, each action)
 * plus lanes of point events, drawn as an inline SVG with hover titles. Pure: data in, markup out.
 */
import { escapeHtml as esc, formatDuration } from './format';
import type { Postmortem } from './model';

interface Bar {
  start: number;
  end: number;
  color: string;
  title: string;
}
interface Point {
  at: number;
  color: string;
  title: string;
}
interface Lane {
  label: string;
  bars: Bar[];
  points: Point[];
}

const COLORS = {
  approved: '#2e7d32',
  denied: '#c62828',
  expired: '#c62828',
  cancelled: '#757575',
  withdrawn: '#757575',
  open: '#f9a825',
  action: '#1565c0',
  exposure: '#ad1457',
  detection: '#9e9e9e',
  evidence: '#6a1b9a',
  verify: '#00838f',
};
const t = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

function lanes(pm: Postmortem, end: number): Lane[] {
  const out: Lane[] = [];
  const c = pm.clock;
  if (c.exposed_at)
    out.push({
      label: 'Exposure',
      bars: [
        {
          start: t(c.exposed_at)!,
          end: t(c.contained_at) ?? end,
          color: COLORS.exposure,
          title: `exposed ${c.exposed_at} → ${c.contained_at ?? 'not contained'}`,
        },
      ],
      points: [],
    });
  if (c.detected_at && c.received_at)
    out.push({
      label: 'Detection',
      bars: [
        {
          start: t(c.detected_at)!,
          end: t(c.received_at)!,
          color: COLORS.detection,
          title: `detected ${c.detected_at}, received ${c.received_at}`,
        },
      ],
      points: [],
    });
  for (const g of pm.approvals) {
    out.push({
      label: `Approval ${g.gate_id}`,
      bars: [
        {
          start: t(g.opened_at)!,
          end: t(g.closed_at) ?? end,
          color: COLORS[g.status],
          title: `${g.step}: ${g.status} (${g.opened_at} → ${g.closed_at ?? 'open'})`,
        },
      ],
      points: [
        ...g.votes.map((v) => ({
          at: t(v.at)!,
          color: v.decision === 'approve' ? COLORS.approved : COLORS.denied,
          title: `${v.approver} ${v.decision === 'approve' ? 'approved' : 'denied'} via ${v.via}${v.reason ? `: ${v.reason}` : ''}`,
        })),
        ...g.refusals.map((r) => ({ at: t(r.at)!, color: '#000', title: `refused ${r.actor}: ${r.code}` })),
      ],
    });
    const started = pm.steps.find((s) => s.kind === 'action.started' && s.details?.gateId === g.gate_id);
    if (started) {
      const done = pm.steps.find((s) => (s.kind === 'action.completed' || s.kind === 'action.failed') && s.details?.gateId === g.gate_id);
      out.push({
        label: `Action ${g.gate_id}`,
        bars: [
          {
            start: t(started.at)!,
            end: t(done?.at) ?? end,
            color: done?.kind === 'action.failed' ? COLORS.denied : COLORS.action,
            title: `${g.step}: ${done?.summary ?? 'running'}`,
          },
        ],
        points: [],
      });
    }
  }
  const pointsOf = (kinds: string[], color: string) =>
    pm.steps.filter((s) => kinds.includes(s.kind)).map((s) => ({ at: t(s.at)!, color, title: `${s.kind}: ${s.summary}` }));
  out.push({ label: 'Evidence', bars: [], points: pointsOf(['evidence.recorded'], COLORS.evidence) });
  out.push({ label: 'Verification', bars: [], points: pointsOf(['verify.passed', 'verify.failed'], COLORS.verify) });
  return out;
}

/**
 * A piecewise time scale: every gap between two events gets a width that grows with log(1 + gap),
 * so a 90 s detection delay and a 40 ms action are both visible in one picture. Order is kept and
 * ticks show real offsets; the caption says the axis is compressed.
 */
function compressedScale(times: number[], left: number, width: number) {
  const knots = [...new Set(times)].sort((a, b) => a - b);
  const weights = knots.slice(1).map((k, i) => Math.log1p((k - knots[i]!) / 50));
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const offsets = [0];
  for (const w of weights) offsets.push(offsets.at(-1)! + w);
  const x = (ms: number): number => {
    if (ms <= knots[0]!) return left;
    if (ms >= knots.at(-1)!) return left + width;
    let i = 0;
    while (knots[i + 1]! < ms) i++;
    const within = (ms - knots[i]!) / (knots[i + 1]! - knots[i]!);
    return left + ((offsets[i]! + within * weights[i]!) / total) * width;
  };
  return { x, knots };
}

export function timelineSvg(pm: Postmortem): string {
  const times = [...Object.values(pm.clock), ...pm.steps.map((s) => s.at)].filter((v): v is string => !!v).map((v) => Date.parse(v));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1000);
  const rows = lanes(pm, t1);
  const [labelW, chartW, rowH, top] = [150, 820, 30, 30];
  const { x, knots } = compressedScale([...times, t1], labelW, chartW);
  const height = top + rows.length * rowH + 20;
  const parts: string[] = [];
  let lastTickX = -Infinity;
  for (const at of knots) {
    if (x(at) - lastTickX < 80 && at !== knots.at(-1)) continue;
    lastTickX = x(at);
    parts.push(
      `<line x1="${x(at)}" y1="${top - 8}" x2="${x(at)}" y2="${height - 16}" class="grid"/><text x="${x(at)}" y="${top - 12}" class="tick">+${esc(formatDuration(at - t0))}</text>`,
    );
  }
  rows.forEach((lane, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" class="lane">${esc(lane.label)}</text>`);
    for (const b of lane.bars) {
      const w = Math.max(3, x(b.end) - x(b.start));
      parts.push(
        `<rect x="${x(b.start)}" y="${y + 6}" width="${w}" height="${rowH - 12}" rx="3" fill="${b.color}"><title>${esc(b.title)}</title></rect>`,
      );
    }
    for (const p of lane.points)
      parts.push(
        `<circle cx="${x(p.at)}" cy="${y + rowH / 2}" r="5" fill="${p.color}" stroke="#fff"><title>${esc(p.title)}</title></circle>`,
      );
  });
  if (pm.clock.contained_at) {
    const cx = x(Date.parse(pm.clock.contained_at));
    parts.push(
      `<line x1="${cx}" y1="${top - 4}" x2="${cx}" y2="${height - 16}" class="contained"/><text x="${cx - 4}" y="${height - 4}" class="tick contained-label">contained</text>`,
    );
  }
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${labelW + chartW + 30} ${height}" role="img" aria-label="incident timeline">${parts.join('')}</svg><figcaption class="meta">Time runs left to right from the first event; long waits are drawn shorter than short steps would need, so both stay readable. Hover a bar or dot for details.</figcaption></figure>`;
}
