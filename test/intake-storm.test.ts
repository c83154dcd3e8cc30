/**
 * Alert storms through the real gateway: coalescing, exact counts, the shutdown flush, repeats after
 * the incident closed. On the demo route table (test/support/routes.ts): these are the gateway's
 * mechanics, whatever playbook the shipped Falco route starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatus } from '../client';
import { startHarness, type Harness } from './support/harness';
import { bearer, bounded, cancelAll, fixture, intakeConfig, post, startIntakeGateway, TOKENS, type IntakeGateway } from './support/intake';
import { DEMO_ROUTES } from './support/routes';
import { waitFor } from './support/wait';

let h: Harness;
const started = new Set<string>();
const run = `${process.pid}${Date.now().toString(36)}`;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  if (h) await cancelAll(h.client, started);
  await h?.stop();
});

function storm(ns: string) {
  const event = fixture('falco-terminal-shell.json');
  event.output_fields['k8s.ns.name'] = `${ns}-${run}`;
  return JSON.stringify(event);
}

describe('an alert storm', () => {
  let gw: IntakeGateway;
  afterAll(async () => {
    await gw?.close();
  });

  it('2,000 identical alerts make one incident with the exact count and a small history', async () => {
    gw = await startIntakeGateway(h.client, h.taskQueue, { routes: DEMO_ROUTES });
    const body = storm('storm');
    const answers = await bounded(2000, 50, () => post(`${gw.url}/alerts/falco`, body, bearer(TOKENS.falco)));

    expect(answers.every((a) => a.status === 202)).toBe(true);
    const ids = new Set(answers.map((a) => a.body.incidentId));
    expect(ids.size).toBe(1);
    const [id] = ids as Set<string>;
    started.add(id!);
    expect(answers.filter((a) => a.body.status === 'new')).toHaveLength(1);
    expect(answers.filter((a) => a.body.status === 'joined')).toHaveLength(1999);

    const status = await waitFor('every alert counted', async () => {
      const s = await getStatus(h.client, id!);
      return s.alerts.total === 2000 ? s : undefined;
    });
    expect(status.alerts.total).toBe(2000);
    expect(status.alerts.distinct).toBe(1); // the same event 2,000 times: one alert, 2,000 deliveries
    // the incident takes a push before the gateway hears back from it: wait for the gateway's own tally
    await waitFor('the last flush acknowledged', () => gw.stats().coalescer.flushedAlerts === 1999);
    expect(gw.stats().coalescer).toMatchObject({ pending: 0, flushedAlerts: 1999 });

    const history = await h.client.workflow.getHandle(id!).fetchHistory();
    // each batch is one count push (an update; the ledger holds the identity), none refused here
    const pushes = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    expect(history.events!.length).toBeLessThan(100);
    expect(pushes).toBe(gw.stats().coalescer.flushes);
    expect(pushes).toBeLessThan(20);
  });

  it('delivers the repeats still in the window when the gateway shuts down', async () => {
    const slow = await startIntakeGateway(h.client, h.taskQueue, {
      routes: DEMO_ROUTES,
      config: intakeConfig({ coalesceMs: 60_000, coalesceMaxMs: 60_000 }),
    });
    const body = storm('shutdown');
    const answers = await bounded(300, 20, () => post(`${slow.url}/alerts/falco`, body, bearer(TOKENS.falco)));
    const id: string = answers[0]!.body.incidentId;
    started.add(id);
    expect(slow.stats().coalescer.pending).toBe(299);
    await slow.close();
    const s = await waitFor('the shutdown flush counted', async () => {
      const st = await getStatus(h.client, id);
      return st.alerts.total === 300 ? st : undefined;
    });
    expect(s.alerts.batches).toBe(2);
  });

  it('opens a new incident when repeats arrive after the incident closed', async () => {
    const gw2 = await startIntakeGateway(h.client, h.taskQueue, { routes: DEMO_ROUTES });
    try {
      const body = storm('closed');
      const first = await post(`${gw2.url}/alerts/falco`, body, bearer(TOKENS.falco));
      const id: string = first.body.incidentId;
      started.add(id);
      const handle = h.client.workflow.getHandle(id);
      await handle.cancel();
      await handle.result().catch(() => undefined);
      const firstRun = (await handle.describe()).runId;
      // the gateway still remembers the incident: the repeat is counted in a batch, which starts a new run
      await bounded(5, 5, () => post(`${gw2.url}/alerts/falco`, body, bearer(TOKENS.falco)));
      const again = await waitFor('a new run with the repeats', async () => {
        const d = await h.client.workflow.getHandle(id).describe();
        if (d.runId === firstRun) return undefined;
        const s = await getStatus(h.client, id);
        return s.alerts.total === 5 ? s : undefined;
      });
      expect(again.state).not.toBe('cancelled');
    } finally {
      await gw2.close();
    }
  });
});
