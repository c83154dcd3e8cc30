/**
 * A real Alertmanager (v0.31.1, from `npm run setup:alertmanager`), configured with docs/intake.md's
 * snippet, notifying the real gateway: Prometheus's side is played by posting to its API v2. It
 * re-sends each group every repeat_interval: those are deliveries, never more distinct alerts; a
 * resolved group is recorded once per alert; a group no route matches is answered 202, so
 * Alertmanager never retries it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatus, getTimeline } from '../client';
import type { IncidentStatus } from '../workflows';
import { startAlertmanager, type PostableAlert, type RunningAlertmanager } from './support/alertmanager';
import type { Harness } from './support/harness';
import { intakeConfig, TOKENS, type IntakeGateway } from './support/intake';
import { useIntakeSuite } from './support/intake-suite';
import { waitFor } from './support/wait';
import { incidentIdFor } from '../gateway/intake/processor';

const suite = useIntakeSuite({ config: intakeConfig({ maxBody: '4mb' }) });
const { started, run } = suite;
let h: Harness;
let gw: IntakeGateway;
let am: RunningAlertmanager;

beforeAll(async () => {
  ({ h, gw } = suite);
  am = await startAlertmanager(gw.url, TOKENS.alertmanager);
}, 120_000);
afterAll(async () => {
  await am?.stop();
});

function alerts(ns: string, n: number, alertname = 'SuspiciousEgressTraffic', endsAt?: string): PostableAlert[] {
  return Array.from({ length: n }, (_, i) => ({
    labels: { alertname, severity: 'critical', namespace: `${ns}-${run}`, service: 'ledger', pod: `ledger-${i}` },
    annotations: { summary: 'ledger sends traffic to an address it has never talked to' },
    ...(endsAt ? { endsAt } : {}),
  }));
}

async function until(id: string, what: string, ok: (s: IncidentStatus) => boolean, timeoutMs = 30_000): Promise<IncidentStatus> {
  return waitFor(
    what,
    async () => {
      const s = await getStatus(h.client, id).catch(() => undefined);
      return s && ok(s) ? s : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

describe('a real Alertmanager', () => {
  it('re-sends are deliveries, not alerts: 60 alerts stay 60 distinct across repeats; resolving them records each once', async () => {
    const ns = 'real';
    const id = incidentIdFor('test-am-egress', ['SuspiciousEgressTraffic', `${ns}-${run}`, 'ledger']);
    started.add(id);
    await am.post(alerts(ns, 60));
    await until(id, 'the group notified', (s) => s.alerts.distinct === 60);
    // repeat_interval 3 s: Alertmanager sends the unchanged group again
    const repeated = await until(id, 'a re-send', (s) => s.alerts.total >= 120);
    expect(repeated.alerts).toMatchObject({ distinct: 60, firing: 60, resolved: 0, exact: true });
    expect(repeated.alerts.total % 60).toBe(0);

    await am.post(alerts(ns, 60, 'SuspiciousEgressTraffic', new Date(Date.now() - 1000).toISOString()));
    const resolved = await until(id, 'the resolved group', (s) => s.alerts.resolved === 60);
    expect(resolved.alerts).toMatchObject({ distinct: 60, firing: 0, resolved: 60 });
    const entries = (await getTimeline(h.client, id)).filter((e) => e.kind === 'alert.resolved');
    expect(entries.reduce((n, e) => n + (e.details?.count as number), 0)).toBe(60);
    expect(await am.metric('alertmanager_notifications_total', 'integration="webhook"')).toBeGreaterThanOrEqual(3);
    expect(await am.metric('alertmanager_notifications_failed_total', 'integration="webhook"')).toBe(0);
  }, 60_000);

  it('a group of 5,000 is one incident with 5,000 distinct alerts, and resolves whole', async () => {
    const ns = 'big';
    const id = incidentIdFor('test-am-egress', ['SuspiciousEgressTraffic', `${ns}-${run}`, 'ledger']);
    started.add(id);
    await am.post(alerts(ns, 5000));
    await until(id, 'the group notified', (s) => s.alerts.distinct === 5000);
    await am.post(alerts(ns, 5000, 'SuspiciousEgressTraffic', new Date(Date.now() - 1000).toISOString()));
    const s = await until(id, 'the resolved group', (st) => st.alerts.resolved === 5000);
    expect(s.alerts).toMatchObject({ distinct: 5000, firing: 0, exact: true });
    expect(await am.metric('alertmanager_notifications_failed_total', 'integration="webhook"')).toBe(0);
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    expect(history.events!.length).toBeLessThan(200);
  }, 90_000);

  it('a group no route matches is answered 202 no-route: Alertmanager does not retry it', async () => {
    const before = gw.stats().sources.alertmanager?.['no-route'] ?? 0;
    await am.post(alerts('unrouted', 5, 'NothingRoutesThis'));
    await waitFor(
      'the notification answered',
      async () => ((gw.stats().sources.alertmanager?.['no-route'] ?? 0) >= before + 5 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(await am.metric('alertmanager_notifications_failed_total', 'integration="webhook"')).toBe(0);
  }, 30_000);
});
