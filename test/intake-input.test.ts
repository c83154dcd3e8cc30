/**
 * Right answers to bad input, on a gateway whose Temporal is unreachable: whatever the content,
 * the answer is 4xx with the reason (400 too deep, 413 too large, 415 not JSON), never 503; only
 * a valid alert that Temporal cannot take is 503 with Retry-After. No Temporal server is needed.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../gateway/intake/body';
import { isTemporalUnavailable, TemporalUnavailableError } from '../gateway/intake/unavailable';
import { bearer, fixture, post, startIntakeGateway, TOKENS, type IntakeGateway } from './support/intake';
import { DEMO_ROUTES } from './support/routes';

let gw: IntakeGateway;
let connection: Connection;

beforeAll(async () => {
  // a port nothing listens on: every Temporal call fails as unreachable
  connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 });
  gw = await startIntakeGateway(new Client({ connection }), 'nowhere', { routes: DEMO_ROUTES });
});
afterAll(async () => {
  await gw?.close();
  await connection?.close().catch(() => undefined);
});

const deep = (levels: number) => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const falco = (body: unknown, headers: Record<string, string> = {}) =>
  post(`${gw.url}/alerts/falco`, body, { ...bearer(TOKENS.falco), ...headers });

describe('bad input', () => {
  it('output_fields nested 5,000 deep is 400 naming the depth, not 503', async () => {
    // built as text: JSON.stringify itself overflows at this depth, which is what the gateway did
    const event = JSON.stringify(fixture('falco-terminal-shell.json')).replace(
      '"output_fields":{',
      `"output_fields":{"evil":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},`,
    );
    const res = await post(`${gw.url}/alerts/falco`, event, bearer(TOKENS.falco));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/nests deeper than 32 levels \(at output_fields\.evil\.a\.a/);
    // what would overflow the stack in JSON.parse itself: still 400 or 413, never 5xx
    const brackets = '['.repeat(60_000) + ']'.repeat(60_000);
    expect([400, 413]).toContain((await post(`${gw.url}/alerts`, brackets, bearer(TOKENS.generic))).status);
  });

  it('a body over the limit is 413 with the setting to change', async () => {
    const res = await falco({ ...fixture<Record<string, unknown>>('falco-terminal-shell.json'), output: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/TOURNIQUET_INTAKE_MAX_BODY/);
  });

  it('a content type other than JSON is 415, whatever the body', async () => {
    const event = JSON.stringify(fixture('falco-terminal-shell.json'));
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await falco(event, { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.body).toMatchObject({ error: 'unsupported media type' });
      expect(res.body.message).toMatch(/application\/json/);
    }
    const am = await post(`${gw.url}/alerts/alertmanager`, fixture('alertmanager-firing.json'), {
      ...bearer(TOKENS.alertmanager),
      'content-type': 'text/plain',
    });
    expect(am.status).toBe(415);
    expect(gw.stats().sources.falco?.unsupported).toBe(3);
  });

  it('JSON with a charset or a +json type is taken', async () => {
    const res = await falco({ rule: 'x' }, { 'content-type': 'application/vnd.falco+json; charset=utf-8' });
    expect(res.status).toBe(400); // parsed: the schema names what is missing
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain('output');
  });

  it('unknown fields are ignored; a valid alert Temporal cannot take is the only 503', async () => {
    const alert = { ...fixture<Record<string, unknown>>('generic.json'), extra: 1, nested: { more: true } };
    const res = await post(`${gw.url}/alerts`, alert, bearer(TOKENS.generic));
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('unavailable');
  }, 30_000);

  it('knows unavailable from content', () => {
    expect(isTemporalUnavailable(new TemporalUnavailableError('x'))).toBe(true);
    expect(isTemporalUnavailable(Object.assign(new Error('unavailable'), { code: 14 }))).toBe(true);
    expect(isTemporalUnavailable(Object.assign(new Error('too big'), { code: 3 }))).toBe(false);
    expect(isTemporalUnavailable(new RangeError('Maximum call stack size exceeded'))).toBe(false);
    expect(() => parseJson(Buffer.from(JSON.stringify(deep(40))))).toThrow(/deeper than 32/);
    expect(parseJson(Buffer.from(JSON.stringify(deep(30))))).toEqual(deep(30));
  });
});
