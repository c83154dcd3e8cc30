/**
 * The redaction boundary (redaction/): secretlint's rules on top of Tourniquet's own, redaction
 * before clipping, and results that always fit the workflow's limits without a cut fingerprint.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT,
  HISTORY_LIMITS,
  clipRedacted,
  prepareAlertRef,
  prepareIncidentRequest,
  redactDeep,
  redactForHistory,
  redactJsonLine,
  redactSecrets,
} from '../redaction';
import { createLogger } from '../worker/logger';
import { alertRefSchema, incidentRequestSchema } from '../workflows';
import { Writable } from 'node:stream';

// Fake secrets are assembled at runtime so no secret-shaped literal is committed.
const ghToken = 'ghp_' + 'Zx8'.repeat(12);
const awsKeyId = 'AKIA' + 'R2D2'.repeat(4);
const npmToken = 'npm_' + 'a1B2c3D4e5'.repeat(3) + 'a1B2c3';
const sendgrid = 'SG.' + 'aB3dE5gH7jK9mN1pQ3sT5v' + '.' + 'Qx7'.repeat(14) + 'Q';
const pemBody = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' + 'Qm9ndXM'.repeat(8);
const pem = `-----BEGIN ${'PRIVATE'} KEY-----\n${`${pemBody}\n`.repeat(30)}-----END ${'PRIVATE'} KEY-----`;

const fp = (secret: string, kind: string) =>
  `[REDACTED:${kind} sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)} last4:${secret.length >= 16 ? secret.slice(-4) : '····'}]`;

/** Every `[REDACTED:` in the text starts a whole fingerprint. */
function fingerprintsWhole(text: string): boolean {
  const whole = [...text.matchAll(FINGERPRINT)].map((m) => m.index);
  const starts = [...text.matchAll(/\[REDACTED:/g)].map((m) => m.index);
  return starts.every((s) => whole.includes(s));
}

describe('redactSecrets', () => {
  it('finds what only secretlint knows (npm, SendGrid), after Tourniquet’s own rules', async () => {
    const { value, redactions } = await redactSecrets(`npm ${npmToken}; mail ${sendgrid}; gh ${ghToken}`);
    expect(value).toBe(`npm ${fp(npmToken, 'npm-access-token')}; mail ${fp(sendgrid, 'sendgrid-key')}; gh ${fp(ghToken, 'github-token')}`);
    expect(redactions).toBe(3);
  });

  it('cannot be switched off by a secretlint-disable comment in the text', async () => {
    for (const text of [
      `// secretlint-disable\n${npmToken}`,
      `${npmToken} // secretlint-disable-line`,
      `/* secretlint-disable-next-line */\n${npmToken}`,
    ]) {
      expect((await redactSecrets(text)).value).not.toContain(npmToken);
    }
  });

  it('is idempotent and deterministic (a signature over the result can be recomputed)', async () => {
    const once = await redactSecrets(`${npmToken} ${pem} https://x.example/?password=hunter2hunter2`);
    expect(await redactSecrets(once.value)).toEqual({ value: once.value, redactions: 0 });
    expect((await redactSecrets(`${npmToken} ${pem} https://x.example/?password=hunter2hunter2`)).value).toBe(once.value);
  });

  it('keeps nothing per scan: the thousandth redaction in a process costs what the first did', async () => {
    // secretlint marks every lint on Node's performance timeline, and its profiler kept and searched
    // them all; in a worker that had started 1,000 incidents that took most of its main thread.
    const ours = () => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('@core>')).length;
    const before = ours();
    for (let i = 0; i < 20; i++) expect((await redactSecrets(`scan ${i}: ${npmToken}`)).value).not.toContain(npmToken);
    expect(ours() - before).toBe(0);
  });
});

describe('redactDeep', () => {
  it('redacts every string of a value in one pass, by key name too, and leaves the input alone', async () => {
    const input = { a: [`x ${npmToken}`, 'plain'], b: { token: 'opaque-value', n: 3, note: `k ${awsKeyId}` } };
    const copy = structuredClone(input);
    const { value, redactions } = await redactDeep(input);
    expect(value).toEqual({
      a: [`x ${fp(npmToken, 'npm-access-token')}`, 'plain'],
      b: { token: fp('opaque-value', 'token'), n: 3, note: `k ${fp(awsKeyId, 'aws-access-key-id')}` },
    });
    expect(redactions).toBe(3);
    expect(input).toEqual(copy);
  });

  it('scans text only when told to keep the shape (exports, Slack)', async () => {
    const { value } = await redactDeep({ token: 'not-a-secret-shape', text: ghToken }, { secretKeys: false });
    expect(value).toEqual({ token: 'not-a-secret-shape', text: fp(ghToken, 'github-token') });
  });
});

describe('clip after redaction', () => {
  it('redacts a private key before clipping, so no part of its body survives a limit that cuts it', async () => {
    expect(pem.length).toBeGreaterThan(1000);
    for (const max of [40, 60, 300, 500, 1000, 2000]) {
      const out = await redactForHistory(`reason: ${pem} and more text after it`, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toContain(pemBody.slice(0, 16));
      expect(fingerprintsWhole(out)).toBe(true);
    }
  });

  it('never splits a fingerprint, whatever the limit', () => {
    const text = `a ${fp(ghToken, 'github-token')} b ${fp('x', 'password')} c`;
    for (let max = 0; max <= text.length + 1; max++) {
      const out = clipRedacted(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(fingerprintsWhole(out)).toBe(true);
    }
  });

  it('takes the limits from the workflow’s own schemas', () => {
    expect(HISTORY_LIMITS).toEqual({
      title: 300,
      alertSource: 64,
      alertTitle: 500,
      alertId: 200,
      alertFingerprint: 200,
      label: 1000,
      reason: 2000,
      commandReason: 2000,
    });
  });
});

describe('prepareAlertRef / prepareIncidentRequest', () => {
  // 975 characters that redaction makes longer: each 20-character key id becomes a 60-character fingerprint.
  const label = Array.from({ length: 40 }, (_, i) => `AKIA${String(i).padStart(2, '0')}${'R2D2'.repeat(3)}QQ`)
    .join(' ')
    .padEnd(975, '.');

  it('keeps a label that redaction lengthens within the schema (the 202-new-then-failed bug)', async () => {
    expect(label.length).toBe(975);
    expect((await redactSecrets(label)).value.length).toBeGreaterThan(1000);
    const ref = await prepareAlertRef({
      source: 'alertmanager',
      title: `key ${ghToken}`,
      labels: { description: label, pem, password: 'p' },
    });
    expect(alertRefSchema.safeParse(ref).success).toBe(true);
    expect(ref.labels!.description!.length).toBeLessThanOrEqual(1000);
    expect(JSON.stringify(ref)).not.toMatch(/AKIA\d\d|MIIEvQ|ghp_/);
    expect(ref.labels!.password).toBe(fp('p', 'password'));
  });

  it('redacts title, params and alerts of a request, and the result validates', async () => {
    const input = {
      playbook: 'break-glass',
      requester: 'alice',
      title: `${'t'.repeat(280)} ${ghToken}`,
      params: { role: 'ns-edit', duration: '30m', reason: `restore, key: ${pem}`, nested: { api_key: 'k-123456' } },
      alerts: [{ source: 'generic', title: `?password=hunter2hunter2 ${'x'.repeat(500)}` }],
    };
    const out = await prepareIncidentRequest(input);
    expect(incidentRequestSchema.safeParse(out).success).toBe(true);
    expect(out.title!.length).toBeLessThanOrEqual(300);
    expect((out.params as { reason: string }).reason).toBe(`restore, key: ${fp(pem, 'private-key')}`);
    expect(JSON.stringify(out)).not.toMatch(/ghp_|MIIEvQ|hunter2|k-123456/);
    expect(out).toMatchObject({ playbook: 'break-glass', requester: 'alice' });
  });
});

describe('log lines', () => {
  it('fingerprints secrets in a serialized line as their decoded values, and keeps it valid JSON', () => {
    const line = `${JSON.stringify({ level: 30, msg: `got ${pem}`, url: 'https://x.example/?password=hunter2hunter2' })}\n`;
    const out = redactJsonLine(line);
    const parsed = JSON.parse(out) as { msg: string; url: string };
    expect(parsed.msg).toBe(`got ${fp(pem, 'private-key')}`);
    expect(parsed.url).toBe(`https://x.example/?password=${fp('hunter2hunter2', 'url-query-secret')}`);
  });

  it('goes through every line the project logger writes', () => {
    let written = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((written += String(chunk)), done()) });
    const logger = createLogger('info', 'test', sink);
    const bearer = 'tok3n'.repeat(5);
    logger.info({ cmd: `curl -H "Authorization: Bearer ${bearer}"`, err: new Error(`failed with ${awsKeyId}`) }, `title ${ghToken}`);
    expect(written).toContain(fp(ghToken, 'github-token'));
    for (const secret of [ghToken, bearer, awsKeyId]) expect(written).not.toContain(secret);
    expect(() => JSON.parse(written)).not.toThrow();
  });
});
