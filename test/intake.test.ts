/**
 * Alert intake through the real gateway and a real worker. Most of it tests the gateway itself
 * (payloads, authentication, 400/401/413/422, dedup, resolutions) on the demo route table
 * (test/support/routes.ts); the last part posts to the shipped routes on this stack, which has no
 * Kubernetes or GitHub access, as `npm run dev` has none by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatus, getTimeline } from '../client';
import { alertRoutes } from '../gateway/intake/routes';
import type { IncidentStatus } from '../workflows';
import { TourniquetSource } from '../workflows/search-attributes';
import type { Harness } from './support/harness';
import {
  bearer,
  deliverGitHub,
  fixture,
  githubLeak,
  post,
  startIntakeGateway,
  startRequest,
  TOKENS,
  type IntakeGateway,
} from './support/intake';
import { useIntakeSuite } from './support/intake-suite';
import { DEMO_ROUTES } from './support/routes';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';

const suite = useIntakeSuite();
const { started, run } = suite;
let h: Harness;
let gw: IntakeGateway;
beforeAll(() => {
  ({ h, gw } = suite);
});

/** The documented Falco event, in a namespace of its own so suites and runs never share incidents. */
function falcoEvent(ns: string, overrides: Record<string, unknown> = {}) {
  const event = fixture('falco-terminal-shell.json');
  event.output_fields['k8s.ns.name'] = `${ns}-${run}`;
  return { ...event, ...overrides };
}
const falco = (body: unknown, token = TOKENS.falco) => post(`${gw.url}/alerts/falco`, body, bearer(token));

async function exists(id: string): Promise<boolean> {
  try {
    await h.client.workflow.getHandle(id).describe();
    return true;
  } catch {
    return false;
  }
}

describe('Falco', () => {
  it('a documented payload opens an incident for the routed playbook; the same again joins it and is counted', async () => {
    const event = falcoEvent('shop');
    const first = await falco(event);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'new', route: 'test-falco-shell' });
    const id: string = first.body.incidentId;
    expect(id).toMatch(/^inc-test-falco-shell-[0-9a-f]{16}$/);
    started.add(id);

    const status = await waitForGate(h.client, id);
    expect(status).toMatchObject({ playbook: 'demo', requester: 'falco', alerts: { total: 1 } });
    expect(status.title).toBe(`Shell in container: shop-${run}/checkout-7d9f8b6c4-x2x9k`);
    expect(status.gates[0]).toMatchObject({ target: 'service/checkout' });
    expect(status.clock.detected_at).toBe('2026-11-22T05:35:58.532Z');
    // the gateway started the run with its memo and search attributes, so the workflow did not write
    // its first record (issue 15); `list` and Temporal's own tools see the incident from its start
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    const memoWrites = history.events!.flatMap((e) => Object.keys(e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {}));
    expect(memoWrites).not.toContain('playbook');
    const description = await h.client.workflow.getHandle(id).describe();
    expect(description.memo).toMatchObject({ playbook: 'demo', requester: 'falco', title: status.title });
    expect(description.typedSearchAttributes.get(TourniquetSource)).toBe('falco');

    // Falcosidekick gives every event a new uuid: it is still the same incident
    const sentAt = Date.now();
    const again = await falco({ ...event, uuid: 'another-uuid', time: '2026-11-22T05:36:10.000000000Z' });
    const answeredAt = Date.now();
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ status: 'joined', incidentId: id, route: 'test-falco-shell' });
    const joined = await waitFor('the repeat counted', async () => {
      const s = await getStatus(h.client, id);
      return s.alerts.total === 2 ? s : undefined;
    });
    // another uuid is another event: 2 distinct; last seen is when it was received, not its own time
    expect(joined.alerts).toMatchObject({
      total: 2,
      distinct: 2,
      firing: 2,
      resolved: 0,
      exact: true,
      first_seen: '2026-11-22T05:35:58.532Z',
    });
    // (received between sending and the answer; the gateway's clock is this process's)
    expect(Date.parse(joined.alerts.last_seen!)).toBeGreaterThanOrEqual(sentAt);
    expect(Date.parse(joined.alerts.last_seen!)).toBeLessThanOrEqual(answeredAt);
    // the same event again (a re-send: same uuid) is one more delivery, not one more alert
    await falco({ ...event, uuid: 'another-uuid', time: '2026-11-22T05:36:10.000000000Z' });
    const resent = await waitFor('the re-send counted', async () => {
      const s = await getStatus(h.client, id);
      return s.alerts.total === 3 ? s : undefined;
    });
    expect(resent.alerts.distinct).toBe(2);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.map((e) => e.kind)).toContain('alert.repeated');
    expect(timeline.find((e) => e.kind === 'alert.received')).toMatchObject({ actor: 'falco', summary: 'Terminal shell in container' });
  });

  it('keeps secrets in alert payloads out of the incident history', async () => {
    const token = `ghp_${'A1b2C3d4E5'.repeat(4)}`;
    const event = falcoEvent('secrets');
    event.output = `${event.output} cmdline=git clone https://x-access-token:${token}@github.com/acme/app`;
    event.output_fields['proc.cmdline'] = `curl -H "Authorization: Bearer ${token}" https://api.github.com/user`;
    const res = await falco(event);
    expect(res.body.status).toBe('new');
    started.add(res.body.incidentId);
    const history = await h.client.workflow.getHandle(res.body.incidentId).fetchHistory();
    const input = Buffer.from(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!).toString('utf8');
    expect(input).toContain('k8s.ns.name');
    expect(input).not.toContain(token);
    expect(input).toMatch(/\[REDACTED:(github-token|bearer|url-password) sha256:[0-9a-f]{12}/);
  });

  it('a payload with a wrong type gets 400 naming the field, and starts nothing', async () => {
    const opened = gw.stats().sources.falco?.new;
    const res = await falco(falcoEvent('typed', { priority: 5, time: 'yesterday' }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid falco alert');
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['priority', 'time']);
    expect(res.body.message).toMatch(/priority: Invalid input: expected string, received number/);
    expect((await falco('{"rule": ')).body.message).toMatch(/not JSON/);
    expect(gw.stats().sources.falco?.new).toBe(opened);
    expect(gw.stats().sources.falco?.invalid).toBe(2);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const event = falcoEvent('auth');
    const none = await post(`${gw.url}/alerts/falco`, event);
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/missing bearer token/);
    const wrong = await falco(event, 'not-the-falco-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('bad bearer token for falco');
    // another source's token is not this source's
    expect((await falco(event, TOKENS.alertmanager)).status).toBe(401);
  });

  it('answers 202 no-route for a valid alert no rule matches, and counts it', async () => {
    const before = gw.stats().sources.falco?.['no-route'] ?? 0;
    const res = await falco(fixture('falco-write-below-binary-dir.json'));
    expect(res).toEqual({ status: 202, body: { status: 'no-route', title: 'Write below binary dir' } });
    expect(gw.stats().sources.falco?.['no-route']).toBe(before + 1);
  });

  it('answers 422 when the alert cannot give the playbook valid params, and starts nothing', async () => {
    const event = falcoEvent('params');
    delete event.output_fields['k8s.pod.name'];
    const missing = await falco(event);
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ status: 'rejected', route: 'test-falco-shell' });
    expect(missing.body.issues[0].message).toMatch(/no value for "k8s.pod.label.app \?\? k8s.pod.name \| workload \| slug"/);

    const invalid = falcoEvent('params', {});
    invalid.output_fields['k8s.pod.name'] = '___';
    const res = await falco(invalid);
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([{ path: 'params.service', message: 'a service name: lowercase letters, digits and dashes' }]);
  });

  it('answers 413 for an oversized body', async () => {
    const res = await falco(falcoEvent('big', { output: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload too large' });
    expect(res.body.message).toMatch(/TOURNIQUET_INTAKE_MAX_BODY/);
  });
});

describe('Alertmanager', () => {
  it('a firing alert opens an incident; its resolved notification is recorded on that incident', async () => {
    const firing = fixture('alertmanager-firing.json');
    firing.alerts[0].labels.namespace = `payments-${run}`;
    const res = await post(`${gw.url}/alerts/alertmanager`, firing, bearer(TOKENS.alertmanager));
    expect(res.status).toBe(202);
    expect(res.body.results).toEqual([
      { status: 'new', incidentId: expect.stringMatching(/^inc-test-am-egress-/), route: 'test-am-egress' },
    ]);
    const id: string = res.body.results[0].incidentId;
    started.add(id);
    const status = await waitForGate(h.client, id);
    expect(status).toMatchObject({ requester: 'alertmanager', clock: { detected_at: '2026-11-22T05:40:12.345Z' } });
    expect(status.gates[0]!.target).toBe('service/ledger');

    const resolved = structuredClone(firing);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = '2026-11-22T05:52:00Z';
    const done = await post(`${gw.url}/alerts/alertmanager`, resolved, bearer(TOKENS.alertmanager));
    expect(done).toEqual({ status: 202, body: { results: [{ status: 'resolved', incidentId: id, route: 'test-am-egress' }] } });
    const entry = await waitFor('alert.resolved on the timeline', async () =>
      (await getTimeline(h.client, id)).find((e) => e.kind === 'alert.resolved'),
    );
    expect(entry).toMatchObject({ actor: 'alertmanager', details: { count: 1, resolved_at: '2026-11-22T05:52:00.000Z' } });
    expect((await getStatus(h.client, id)).alerts.total).toBe(1);

    // a resolved alert with no open incident starts nothing
    resolved.alerts[0].labels.namespace = `nowhere-${run}`;
    const orphan = await post(`${gw.url}/alerts/alertmanager`, resolved, bearer(TOKENS.alertmanager));
    expect(orphan.body.results[0]).toMatchObject({ status: 'no-open-incident' });
    expect(await exists(orphan.body.results[0].incidentId)).toBe(false);
  });

  it('rejects a notification of another payload version with 400', async () => {
    const res = await post(
      `${gw.url}/alerts/alertmanager`,
      { ...fixture<Record<string, unknown>>('alertmanager-firing.json'), version: '3' },
      bearer(TOKENS.alertmanager),
    );
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe('version');
  });
});

describe('GitHub secret scanning', () => {
  const deliver = (event: string, payload: unknown, secret?: string) => deliverGitHub(gw.url, event, payload, secret);
  const leak = () => {
    const p = githubLeak();
    p.repository.full_name = `octo-org/payments-api-${run}`;
    return p;
  };

  it('refuses a delivery with a wrong or missing signature with 401', async () => {
    const res = await deliver('secret_scanning_alert', leak(), 'not-the-configured-secret');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/bad signature/);
    const unsigned = await post(`${gw.url}/alerts/github`, leak(), { 'x-github-event': 'secret_scanning_alert' });
    expect(unsigned.status).toBe(401);
  });

  it('a signed secret_scanning_alert opens an incident; ping is answered and ignored; resolved is recorded', async () => {
    const ping = await deliver('ping', fixture('github-ping.json'));
    expect(ping.status).toBe(202);
    expect(ping.body).toMatchObject({ status: 'ignored' });

    const created = leak();
    const res = await deliver('secret_scanning_alert', created);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'new', route: 'test-github-leak' });
    const id: string = res.body.incidentId;
    started.add(id);
    const status = await waitForGate(h.client, id);
    expect(status).toMatchObject({ requester: 'github', title: `Leaked AWS Access Key ID in octo-org/payments-api-${run} (alert #42)` });
    expect(status.gates[0]).toMatchObject({ target: 'service/payments-api', quorum: 2 });
    expect(status.clock.detected_at).toBe(new Date(created.alert.created_at).toISOString());

    const assigned = await deliver('secret_scanning_alert', { ...leak(), action: 'assigned' });
    expect(assigned.body).toMatchObject({ status: 'ignored' });
    const resolved = leak();
    resolved.action = 'resolved';
    resolved.alert.resolution = 'revoked';
    resolved.alert.resolved_at = new Date().toISOString();
    expect((await deliver('secret_scanning_alert', resolved)).body).toEqual({
      status: 'resolved',
      incidentId: id,
      route: 'test-github-leak',
    });
  });
});

describe('generic alerts and sources without a secret', () => {
  it('opens an incident from the generic schema', async () => {
    const alert = { ...fixture('generic.json'), title: `Canary token opened ${run}` };
    const res = await post(`${gw.url}/alerts`, alert, bearer(TOKENS.generic));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'new', route: 'test-generic' });
    started.add(res.body.incidentId);
    const s = await waitForGate(h.client, res.body.incidentId);
    expect(s.requester).toBe('generic:demo');
    // unknown keys are ignored: a sender's newer schema still gets through
    expect((await post(`${gw.url}/alerts`, { ...alert, extra: 1 }, bearer(TOKENS.generic))).body).toMatchObject({ status: 'joined' });
  });

  it('refuses every alert, naming the variable to set, when a source has no secret', async () => {
    const bare = await startIntakeGateway(h.client, h.taskQueue, {
      routes: DEMO_ROUTES,
      config: {
        tokens: { falco: [], alertmanager: [], generic: [] },
        githubSecrets: [],
        maxBody: '1mb',
        coalesceMs: 100,
        coalesceMaxMs: 100,
      },
    });
    try {
      const falcoRes = await post(`${bare.url}/alerts/falco`, falcoEvent('bare'), bearer(TOKENS.falco));
      expect(falcoRes.status).toBe(401);
      expect(falcoRes.body.message).toMatch(/set TOURNIQUET_INTAKE_TOKEN_FALCO or TOURNIQUET_INTAKE_TOKEN/);
      const gh = await post(
        `${bare.url}/alerts/github`,
        {},
        { 'x-github-event': 'ping', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
      );
      expect(gh.status).toBe(401);
      expect(gh.body.message).toMatch(/set TOURNIQUET_GITHUB_WEBHOOK_SECRET/);
    } finally {
      await bare.close();
    }
  });
});

describe('the shipped routes, on a stack without Kubernetes or GitHub (as npm run dev is by default)', () => {
  let shipped: IntakeGateway;
  beforeAll(async () => {
    shipped = await startIntakeGateway(h.client, h.taskQueue, { routes: alertRoutes });
  });
  afterAll(async () => {
    await shipped?.close();
  });
  const shell = (body: unknown) => post(`${shipped.url}/alerts/falco`, body, bearer(TOKENS.falco));
  const failed = (id: string) =>
    waitFor(`${id} to fail`, async (): Promise<IncidentStatus | undefined> => {
      const s = await getStatus(h.client, id);
      return s.state === 'failed' ? s : undefined;
    });

  it('a shell in a pod opens isolate-pod for that pod, which fails at its first step saying Kubernetes is not configured', async () => {
    const res = await shell(falcoEvent('dev'));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'new',
      route: 'falco-shell',
      incidentId: expect.stringMatching(/^inc-falco-shell-[0-9a-f]{16}$/),
    });
    const id: string = res.body.incidentId;
    started.add(id);
    expect(await startRequest(h.client, id)).toMatchObject({
      playbook: 'isolate-pod',
      requester: 'falco',
      params: { namespace: `dev-${run}`, pod: 'checkout-7d9f8b6c4-x2x9k' },
    });
    const s = await failed(id);
    expect(s).toMatchObject({ playbook: 'isolate-pod', title: `Shell in container: dev-${run}/checkout-7d9f8b6c4-x2x9k`, gates: [] });
    expect(s.outcome).toMatch(/Kubernetes is not configured on this worker: .*set KUBECONFIG/);
  });

  it('a shell outside Kubernetes matches no route; a pod name Kubernetes would refuse gets 422 and starts nothing', async () => {
    // Falco sends null for the fields it could not fill (older versions: "<NA>")
    for (const missing of [null, '<NA>']) {
      const host = falcoEvent('host');
      host.output_fields['k8s.ns.name'] = missing;
      host.output_fields['k8s.pod.name'] = missing;
      expect(await shell(host)).toEqual({ status: 202, body: { status: 'no-route', title: 'Terminal shell in container' } });
    }
    const bad = falcoEvent('bad');
    bad.output_fields['k8s.pod.name'] = 'Checkout_7d9f';
    const res = await shell(bad);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'rejected', route: 'falco-shell' });
    expect(res.body.issues).toEqual([{ path: 'params.pod', message: 'a Kubernetes pod name (RFC 1123 subdomain)' }]);
    expect(shipped.stats().sources.falco).toMatchObject({ new: 1, 'no-route': 2, rejected: 1 });
  });

  it('a secret scanning alert opens revoke-leaked-key for that alert, which fails at its first step saying GitHub is not configured', async () => {
    const leak = githubLeak();
    leak.repository.name = `payments-api-${run}`;
    leak.repository.full_name = `octo-org/payments-api-${run}`;
    const res = await deliverGitHub(shipped.url, 'secret_scanning_alert', leak);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'new', route: 'github-secret-leak' });
    const id: string = res.body.incidentId;
    started.add(id);
    const request = await startRequest(h.client, id);
    expect(request).toMatchObject({
      playbook: 'revoke-leaked-key',
      requester: 'github',
      params: { owner: 'octo-org', repo: `payments-api-${run}`, alertNumber: '42' },
    });
    expect(request.policy).toBeUndefined(); // the playbook's default: standard
    const s = await failed(id);
    expect(s.title).toBe(`Leaked AWS Access Key ID in octo-org/payments-api-${run} (alert #42)`);
    expect(s.outcome).toMatch(/GitHub is not configured on this worker: set GITHUB_TOKEN/);
  });
});
