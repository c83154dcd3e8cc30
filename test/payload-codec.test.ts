/**
 * Data at rest: the AES-256-GCM payload codec (keys, rotation, tampering), an incident run end to
 * end with it on the real dev server (history holds ciphertext; status, timeline and list still
 * read), and the codec endpoint as the Temporal CLI uses it.
 */
import { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, getStatus, getTimeline, listIncidents, startIncident } from '../client';
import { startCodecServer, type RunningCodecServer } from '../worker/codec-server';
import { ConfigError, loadConfig } from '../worker/config';
import { EncryptionCodec, parsePayloadKeys } from '../worker/payload-codec';
import { startHarness, type Harness } from './support/harness';
import { waitForGate } from './support/gates';
import { codecCall, decodedText, encodingOf, jsonText, payloadsOf } from './support/history';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { waitFor } from './support/wait';

const b64 = () => randomBytes(32).toString('base64');
const json = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });

describe('payload keys and the codec', () => {
  it('takes one key, or id:key pairs of which the first encrypts; errors name the variable, never the key', () => {
    expect(parsePayloadKeys(b64(), 'K')).toMatchObject({ currentId: 'default', ids: ['default'] });
    expect(parsePayloadKeys(`k2:${b64()}, k1:${b64()}`, 'K')).toMatchObject({ currentId: 'k2', ids: ['k2', 'k1'] });
    const short = randomBytes(16).toString('base64');
    expect(() => parsePayloadKeys(`k1:${short}`, 'TOURNIQUET_PAYLOAD_KEY')).toThrow(
      'TOURNIQUET_PAYLOAD_KEY, key 1: must be 32 bytes in base64',
    );
    expect(() => parsePayloadKeys(`a:${b64()},a:${b64()}`, 'K')).toThrow('key id "a" is given twice');
    try {
      parsePayloadKeys(`x y:${short}`, 'K');
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
    expect(JSON.stringify(parsePayloadKeys(`k1:${b64()}`, 'K'))).toBe('{"currentId":"k1"}');
  });

  it('round-trips payloads, passes plain ones through, and decrypts with an old key after rotation', async () => {
    const [old, fresh] = [b64(), b64()];
    const before = new EncryptionCodec(parsePayloadKeys(`k1:${old}`, 'K'));
    const after = new EncryptionCodec(parsePayloadKeys(`k2:${fresh},k1:${old}`, 'K'));
    const [sealed] = await before.encode([json({ title: 'hello' })]);
    expect(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString()).toBe('k1');
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('hello');
    const [opened] = await after.decode([sealed!]);
    expect(JSON.parse(Buffer.from(opened!.data!).toString())).toEqual({ title: 'hello' });
    expect(Buffer.from((await after.encode([json(1)]))[0]!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    const plain = json('plain');
    expect(await after.decode([plain])).toEqual([plain]);
  });

  it('refuses a tampered payload, a relabelled one and one whose key is gone', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(`k1:${b64()}`, 'K'));
    const [sealed] = await codec.encode([json('x')]);
    const flipped = Buffer.from(sealed!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: flipped }])).rejects.toThrow('cannot decrypt a payload encrypted with key "k1"');
    await expect(codec.decode([{ ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': Buffer.from('k9') } }])).rejects.toThrow(
      'key "k9"',
    );
    await expect(new EncryptionCodec(parsePayloadKeys(`k2:${b64()}`, 'K')).decode([sealed!])).rejects.toThrow('configured: k2');
  });

  it('reads keys from the environment or a file, one way at a time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tourniquet-keys-'));
    try {
      await writeFile(join(dir, 'keys'), `new:${b64()}\nold:${b64()}\n`);
      expect(loadConfig({ TOURNIQUET_PAYLOAD_KEY_FILE: join(dir, 'keys') }).payloadKeys?.ids).toEqual(['new', 'old']);
      expect(loadConfig({}).payloadKeys).toBeUndefined();
      expect(() => loadConfig({ TOURNIQUET_PAYLOAD_KEY: b64(), TOURNIQUET_PAYLOAD_KEY_FILE: join(dir, 'keys') })).toThrow(/set one/);
      expect(() => loadConfig({ TOURNIQUET_PAYLOAD_KEY_FILE: join(dir, 'missing') })).toThrow(ConfigError);
      expect(() => loadConfig({ TOURNIQUET_PAYLOAD_KEY: 'not-a-key' })).toThrow(/TOURNIQUET_PAYLOAD_KEY, key 1: must be 32 bytes/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an incident with payload encryption on', () => {
  const key = b64();
  const token = `codec-token-${randomBytes(12).toString('hex')}`;
  const marker = `marker-${randomBytes(6).toString('hex')}`;
  let h: Harness;
  let codec: RunningCodecServer;
  let id: string;

  beforeAll(async () => {
    h = await startHarness({ payloadKeys: parsePayloadKeys(`k1:${key}`, 'K') });
    codec = await startCodecServer({
      codec: new EncryptionCodec(parsePayloadKeys(`k1:${key}`, 'K')),
      tokens: [token],
      origins: ['http://127.0.0.1:8233'],
      host: '127.0.0.1',
      port: 0,
    });
    id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', title: `Demo ${marker}`, params: { service: 'billing' } },
      { taskQueue: h.taskQueue },
    );
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test', reason: `looked at ${marker}` });
    await waitFor('the incident to resolve', async () => (await getStatus(h.client, id)).state === 'resolved');
  });

  afterAll(async () => {
    await codec?.close();
    await h?.stop();
  });

  it('keeps every payload of the history encrypted, and still reads status, timeline and the list', async () => {
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    const payloads = payloadsOf(history);
    expect(payloads.length).toBeGreaterThan(10);
    // The SDK's own bookkeeping for local activities (type, attempt, times) is written plain; all else is ciphertext.
    const bookkeeping = new Set(
      history.events!.flatMap((e) =>
        e.markerRecordedEventAttributes?.details?.data ? payloadsOf(e.markerRecordedEventAttributes.details.data) : [],
      ),
    );
    // Search attributes are indexed by the server, so no codec touches them (Temporal's design): they
    // hold only Tourniquet's six keyword attributes (state, outcome, playbook, requester, mode, source)
    // and the SDK's own TemporalChangeVersion (the names of patches).
    const indexed = history.events!.flatMap((e) => {
      // the upserts', and the start's (startIncident gives the first ones at start)
      const fields =
        (e.upsertWorkflowSearchAttributesEventAttributes ?? e.workflowExecutionStartedEventAttributes)?.searchAttributes?.indexedFields ??
        {};
      expect(Object.keys(fields).every((name) => name === 'TemporalChangeVersion' || SEARCH_ATTRIBUTES.some((a) => a.name === name))).toBe(
        true,
      );
      return payloadsOf(fields);
    });
    expect(indexed.length).toBeGreaterThan(0);
    // patched() markers name a patch, in plain JSON (the SDK's bookkeeping for versioning).
    const patches = history.events!.flatMap((e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_patch' ? payloadsOf(e.markerRecordedEventAttributes.details ?? {}) : [],
    );
    for (const p of patches) expect(Object.keys(JSON.parse(Buffer.from(p.data!).toString()))).toEqual(['id', 'deprecated']);
    expect(
      payloads
        .filter((p) => !bookkeeping.has(p) && !indexed.includes(p) && !patches.includes(p))
        .map(encodingOf)
        .every((enc) => enc === 'binary/encrypted'),
    ).toBe(true);
    for (const p of bookkeeping)
      expect(Object.keys(JSON.parse(Buffer.from(p.data!).toString()))).toEqual([
        'seq',
        'attempt',
        'activity_id',
        'activity_type',
        'complete_time',
        'backoff',
        'original_schedule_time',
      ]);
    expect(jsonText(JSON.stringify(history))).not.toContain(marker);
    expect((await getStatus(h.client, id)).title).toBe(`Demo ${marker}`);
    expect((await getTimeline(h.client, id)).some((e) => e.summary.includes(marker))).toBe(true);
    const listed = await waitFor('the incident in the list', async () =>
      (await listIncidents(h.client, { limit: 200 })).find((r) => r.id === id),
    );
    expect(listed.title).toBe(`Demo ${marker}`);
    // a client without the key sees ciphertext and says so
    await expect(getStatus(new Client({ connection: h.client.connection }), id)).rejects.toThrow(/binary\/encrypted|Unknown encoding/);
    // …and still lists incidents: the encrypted one without its memo (title unknown), never a failed
    // list; its state comes from the search attribute, plain by Temporal's design (above)
    const keyless = (await listIncidents(new Client({ connection: h.client.connection }), { limit: 200 })).find((r) => r.id === id);
    expect(keyless).toMatchObject({ id, title: '', state: 'resolved', temporalStatus: expect.any(String) });
  });

  it('decodes through the codec endpoint for a bearer of the token, and for nobody else', async () => {
    const payloads = payloadsOf(await h.client.workflow.getHandle(id).fetchHistory());
    const ok = await codecCall(codec.url, 'decode', payloads, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(decodedText(ok.body)).toContain(marker);
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not-the-token-at-all' }, { authorization: token }]) {
      const refused = await codecCall(codec.url, 'decode', payloads, headers);
      expect(refused.status).toBe(401);
      expect(JSON.stringify(refused.body)).not.toContain(marker);
    }
    const encoded = await codecCall(
      codec.url,
      'encode',
      [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }],
      { authorization: `Bearer ${token}` },
    );
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  });

  it('answers the UI’s CORS preflight for its origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${codec.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ui = await preflight('http://127.0.0.1:8233');
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect(ui.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets the Temporal CLI show the history in clear with --codec-endpoint and --codec-auth', async () => {
    const show = (...extra: string[]) =>
      promisify(execFile)(
        inject('temporalCli'),
        ['workflow', 'show', '-w', id, '--address', h.address, '--namespace', 'default', '-o', 'json', ...extra],
        { maxBuffer: 32 << 20 },
      );
    const clear = await show('--codec-endpoint', codec.url, '--codec-auth', `Bearer ${token}`);
    expect(jsonText(clear.stdout)).toContain(marker);
    const sealed = await show();
    expect(jsonText(sealed.stdout)).not.toContain(marker);
    expect(sealed.stdout).toContain(Buffer.from('binary/encrypted').toString('base64'));
  });
});
