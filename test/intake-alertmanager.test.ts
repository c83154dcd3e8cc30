/**
 * Alertmanager as it really sends: the same group again every group_interval (re-sends are
 * deliveries, not more alerts), resolved groups of hundreds sent concurrently and retried
 * (recorded once per alert, answered 202), groups far over 1,000 alerts (only the body limit
 * caps them) and truncatedAlerts counted. Real gateway, real worker, demo route table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getStatus, getTimeline } from '../client';
import type { IncidentStatus } from '../workflows';
import type { Harness } from './support/harness';
import { bearer, fixture, intakeConfig, post, TOKENS, type IntakeGateway } from './support/intake';
import { useIntakeSuite } from './support/intake-suite';
import { waitFor } from './support/wait';

const suite = useIntakeSuite({ config: intakeConfig({ maxBody: '4mb' }) });
const { started, run } = suite;
let h: Harness;
let gw: IntakeGateway;
beforeAll(() => {
  ({ h, gw } = suite);
});

/** A notification of `n` alerts of one group (one incident on the demo routes), as Alertmanager builds it. */
function group(ns: string, n: number, status: 'firing' | 'resolved' = 'firing', extra: Record<string, unknown> = {}) {
  const base = fixture('alertmanager-firing.json');
  const alert = base.alerts[0];
  const alerts = Array.from({ length: n }, (_, i) => ({
    ...alert,
    status,
    labels: { ...alert.labels, namespace: `${ns}-${run}`, pod: `ledger-${i}` },
    endsAt: status === 'resolved' ? '2026-11-22T06:00:00Z' : '0001-01-01T00:00:00Z',
    fingerprint: `${ns}-${i.toString(16).padStart(12, '0')}`,
  }));
  return { ...base, status, alerts, ...extra };
}
const notify = (body: unknown) => post(`${gw.url}/alerts/alertmanager`, body, bearer(TOKENS.alertmanager));

async function counted(id: string, ok: (s: IncidentStatus) => boolean): Promise<IncidentStatus> {
  return waitFor('the counts', async () => {
    const s = await getStatus(h.client, id);
    return ok(s) ? s : undefined;
  });
}

describe('Alertmanager groups', () => {
  it('300 alerts notified twice are 300 distinct alerts and 600 deliveries; each answer comes once all is recorded', async () => {
    const first = await notify(group('twice', 300));
    expect(first.status).toBe(202);
    const id: string = first.body.results[0].incidentId;
    started.add(id);
    expect(first.body.results.filter((r: { status: string }) => r.status === 'new')).toHaveLength(1);
    // acknowledged only when recorded: the counts are there as soon as the answer is
    expect((await getStatus(h.client, id)).alerts).toMatchObject({ total: 300, distinct: 300 });
    const again = await notify(group('twice', 300));
    expect(again.status).toBe(202);
    const s = await getStatus(h.client, id);
    expect(s.alerts).toMatchObject({ total: 600, distinct: 300, firing: 300, resolved: 0, exact: true });
  });

  it('a resolved group of 600 sent concurrently and retried is recorded once per alert, always 202', async () => {
    const opened = await notify(group('resolve', 600));
    const id: string = opened.body.results[0].incidentId;
    started.add(id);
    const resolved = group('resolve', 600, 'resolved');
    const answers = await Promise.all([notify(resolved), notify(resolved), notify(resolved)]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    for (const a of answers) expect(a.body.results.every((r: { status: string }) => r.status === 'resolved')).toBe(true);
    const s = await counted(id, (st) => st.alerts.resolved === 600);
    expect(s.alerts).toMatchObject({ total: 600, distinct: 600, firing: 0, resolved: 600 });
    const timeline = await getTimeline(h.client, id);
    const entries = timeline.filter((e) => e.kind === 'alert.resolved');
    expect(entries.reduce((n, e) => n + (e.details?.count as number), 0)).toBe(600);
    expect(entries.length).toBeLessThanOrEqual(3);
    // a fourth retry later: nothing new on the timeline
    expect((await notify(resolved)).status).toBe(202);
    expect((await getTimeline(h.client, id)).filter((e) => e.kind === 'alert.resolved')).toHaveLength(entries.length);
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    expect(history.events!.length).toBeLessThan(60);
  });

  it('a group of 5,000 is taken whole (no cap below the body limit), and truncatedAlerts is counted', async () => {
    const res = await notify(group('big', 5000, 'firing', { truncatedAlerts: 120 }));
    expect(res.status).toBe(202);
    expect(res.body.results).toHaveLength(5000);
    const id: string = res.body.results[0].incidentId;
    started.add(id);
    const s = await getStatus(h.client, id);
    expect(s.alerts).toMatchObject({ total: 5000, distinct: 5000, truncated: 120 });
    expect(gw.stats().sources.alertmanager?.truncatedAlerts).toBe(120);
  });
});
