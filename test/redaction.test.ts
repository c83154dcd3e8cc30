import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordArtifact } from '../activities/evidence/record';
import { redact, redactText } from '../activities/evidence/redact';
import { FileEvidenceStore } from '../activities/evidence/store';
import { verifyEvidence } from '../activities/evidence/verify';
import { formatVerification } from '../cli/format';
import { EvidenceLedger } from '../workflows/evidence-ledger';
import { FAILURE_TYPES } from '../workflows/failure-types';

// Fake secrets are assembled at runtime so no secret-shaped literal is committed.
const ghToken = 'ghp_' + 'aB3'.repeat(12);
const ghPat = 'github_pat_' + '11AbCdEfG0'.repeat(3) + '_' + 'x9'.repeat(20);
const slackToken = ['xoxb', '1234567890', '0987654321', 'Zz'.repeat(12)].join('-');
const awsKeyId = 'AKIA' + 'Q7XZ'.repeat(4);
const jwt = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiJtYWxsb3J5In0', 'c2lnbmF0dXJlLXNpZ25hdHVyZQ'].join('.');
const bearerToken = 'opaque' + 'Tk7_'.repeat(6);
const dbPassword = 'hunter2' + '-correct-horse';
const pemBody = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' + 'Qm9ndXM'.repeat(8);
const pem = `-----BEGIN ${'PRIVATE'} KEY-----\n${pemBody}\n${pemBody.slice(4)}\n-----END ${'PRIVATE'} KEY-----`;

function fp(secret: string, kind: string): string {
  const hash = createHash('sha256').update(secret).digest('hex').slice(0, 12);
  return `[REDACTED:${kind} sha256:${hash} last4:${secret.slice(-4)}]`;
}

describe('redactText', () => {
  it.each([
    ['a GitHub token', `cloned with ${ghToken} yesterday`, ghToken, 'github-token'],
    ['a fine-grained GitHub PAT', `GH_TOKEN=${ghPat}`, ghPat, 'github-token'],
    ['a Slack token', `slack bot ${slackToken} posted`, slackToken, 'slack-token'],
    ['an AWS access key id', `aws_access_key_id = ${awsKeyId}`, awsKeyId, 'aws-access-key-id'],
    ['a JWT', `session=${jwt}; Path=/`, jwt, 'jwt'],
    ['a Bearer token', `curl -H 'X: Bearer ${bearerToken}'`, bearerToken, 'bearer'],
    ['a URL password', `DATABASE_URL=postgres://app:${dbPassword}@db.internal:5432/prod`, dbPassword, 'url-password'],
    ['a PEM private key block', `key file:\n${pem}\nend of file`, pem, 'private-key'],
  ])('replaces %s with its fingerprint', (_what, text, secret, kind) => {
    const { value, redactions } = redactText(text);
    expect(value).toBe(text.replace(secret, fp(secret, kind)));
    expect(value).not.toContain(secret);
    expect(redactions).toBe(1);
  });

  it.each([
    ['a URL query password', 'https://x.example/login?user=bob&password=hunter2hunter2#top', 'hunter2hunter2', 'url-query-secret'],
    ['an access_token in a query', 'GET /cb?code=1&access_token=ya29.a0AfH6SMBx', 'ya29.a0AfH6SMBx', 'url-query-secret'],
    [
      'a signed URL signature',
      'https://b.s3.amazonaws.com/k?X-Amz-Expires=60&X-Amz-Signature=9f0e1d2c3b4a59687',
      '9f0e1d2c3b4a59687',
      'url-query-secret',
    ],
    ['an api_key in a query', 'https://api.example/v1?api_key=k3y-v4lue-123', 'k3y-v4lue-123', 'url-query-secret'],
    ['a secret= in a command line', 'run.sh --env prod secret=s3cr3t-value', 's3cr3t-value', 'url-query-secret'],
    ['a --password flag', 'mysql --user app --password hunter2hunter2 prod', 'hunter2hunter2', 'cli-secret'],
    ['a JSON pair inside text', 'body={"user":"app","password":"p@ss w0rd!"}', 'p@ss w0rd!', 'json-secret'],
  ])('fingerprints %s, keeping its name readable', (_what, text, secret, rule) => {
    const { value, redactions } = redactText(text);
    expect(value).not.toContain(secret);
    expect(value).toMatch(new RegExp(`\\[REDACTED:${rule} sha256:[0-9a-f]{12} last4:.{4}\\]`));
    expect(value.slice(0, text.indexOf(secret))).toBe(text.slice(0, text.indexOf(secret)));
    expect(redactions).toBe(1);
  });

  it('leaves names that merely end like a secret one, and flag values, alone', () => {
    const text = 'nextPageToken=abc123 bypass=on compass=north token=true password=*** key=photos/cat.jpg --token-file /run/t';
    expect(redactText(text)).toEqual({ value: text, redactions: 0 });
  });

  it('redacts a private key of any length, a PGP block, and a block whose END line was cut off', () => {
    const long = `-----BEGIN RSA ${'PRIVATE'} KEY-----\n${`${pemBody}\n`.repeat(60)}-----END RSA ${'PRIVATE'} KEY-----`;
    const pgp = `-----BEGIN PGP ${'PRIVATE'} KEY BLOCK-----\n\n${pemBody}\n-----END PGP ${'PRIVATE'} KEY BLOCK-----`;
    const cut = `${long.slice(0, 2500)}…`;
    for (const key of [long, pgp, cut, cut.replace(/\n/g, '\\n')]) {
      const { value } = redactText(`key: ${key} (end)`);
      expect(value).not.toContain(pemBody.slice(0, 16));
      expect(value).toMatch(/^key: \[REDACTED:private-key /);
    }
    expect(long.length).toBeGreaterThan(5000);
  });

  it('keeps the surroundings of a URL password readable', () => {
    expect(redactText(`postgres://app:${dbPassword}@db.internal/prod`).value).toBe(
      `postgres://app:${fp(dbPassword, 'url-password')}@db.internal/prod`,
    );
  });

  it('never lets any part of a private key body through', () => {
    const { value } = redactText(pem);
    expect(value).not.toContain(pemBody.slice(0, 20));
    expect(value).not.toContain('BEGIN');
  });

  it('redacts exact known secrets of any shape, every time they occur', () => {
    const leaked = 'correct-horse-battery-staple';
    const { value, redactions } = redactText(`first ${leaked}, again ${leaked}.`, { known: [leaked] });
    expect(value).toBe(`first ${fp(leaked, 'known')}, again ${fp(leaked, 'known')}.`);
    expect(redactions).toBe(2);
  });

  it('counts every secret in a text', () => {
    const { value, redactions } = redactText(`${ghToken} ${awsKeyId} ${slackToken} ${ghToken}`);
    expect(redactions).toBe(4);
    for (const s of [ghToken, awsKeyId, slackToken]) expect(value).not.toContain(s);
  });

  it('leaves ordinary text, commit shas, numbers and near-misses alone', () => {
    const text = [
      'Deployed 3f26010d051a8c0d2b6f6e1b1e0c9d2f4a5b6c7d to prod at 12:04; 42 hosts, 99.9% healthy.',
      'The Bearer of bad news: a token was rotated.',
      'AKIA-not-a-key, ghp_short, https://example.com/path?user=bob',
      'postgres://db.internal:5432/prod',
    ].join('\n');
    expect(redactText(text)).toEqual({ value: text, redactions: 0 });
  });

  it('does not redact text that is already redacted', () => {
    const once = redactText(`${ghToken} ${jwt} Bearer ${bearerToken} postgres://u:${dbPassword}@h ${pem}`, { known: ['staple-horse'] });
    expect(once.redactions).toBe(5);
    expect(redactText(once.value, { known: ['staple-horse'] })).toEqual({ value: once.value, redactions: 0 });
  });

  it('does not disclose a short secret in full through its last4', () => {
    const short = 'zq7x';
    expect(redactText(`pin ${short}`, { known: [short] }).value).not.toContain(short);
    expect(JSON.stringify(redact({ password: short }).value)).not.toContain(short);
  });
});

describe('redact', () => {
  const incident = {
    title: 'leaked token in CI logs',
    sha: '3f26010d051a8c0d2b6f6e1b1e0c9d2f4a5b6c7d',
    attempts: 3,
    ok: true,
    nothing: null,
    config: { database: { user: 'app', password: dbPassword, port: 5432 }, apiKey: 'k-' + 'Z'.repeat(20) },
    clients: [{ id: 'svc-a', client_secret: 'cs-' + 'Y'.repeat(20) }],
    headers: { Authorization: `Basic ${'dXNlcjpwYXNz'.repeat(2)}`, Accept: 'application/json' },
    session: { token: 'tok-' + 'W'.repeat(20) },
    logs: [`git clone https://x:${ghToken}@github.com/acme/app`, 'build ok'],
  };
  const secrets = [
    dbPassword,
    incident.config.apiKey,
    incident.clients[0]!.client_secret,
    incident.headers.Authorization,
    incident.session.token,
    ghToken,
  ];

  it('fingerprints values of secret-named keys at any depth, and secrets inside strings', () => {
    const { value, redactions } = redact(incident);
    expect(value).toEqual({
      ...incident,
      config: { database: { user: 'app', password: fp(dbPassword, 'password'), port: 5432 }, apiKey: fp(incident.config.apiKey, 'apikey') },
      clients: [{ id: 'svc-a', client_secret: fp(incident.clients[0]!.client_secret, 'client_secret') }],
      headers: { Authorization: fp(incident.headers.Authorization, 'authorization'), Accept: 'application/json' },
      session: { token: fp(incident.session.token, 'token') },
      logs: [`git clone https://x:${fp(ghToken, 'github-token')}@github.com/acme/app`, 'build ok'],
    });
    expect(redactions).toBe(6);
  });

  it('leaves no raw secret anywhere in the output', () => {
    const out = JSON.stringify(redact(incident, { known: ['svc-a'] }).value);
    for (const secret of [...secrets, 'svc-a']) expect(out).not.toContain(secret);
  });

  it('redacts keys that name a secret, and not keys that merely end like one', () => {
    const { value } = redact({ db_pass: 'hunter2hunter2', password: 'x-very-secret', bypass: 'pull_request', compass: 'north' });
    expect(value.db_pass).toMatch(/^\[REDACTED:db_pass /);
    expect(value.password).toMatch(/^\[REDACTED:password /);
    expect(value).toMatchObject({ bypass: 'pull_request', compass: 'north' });
  });

  it('does not modify its input', () => {
    const copy = structuredClone(incident);
    redact(incident);
    expect(incident).toEqual(copy);
  });

  it('is idempotent: redacting redacted data changes nothing', () => {
    const once = redact(incident).value;
    expect(redact(once)).toEqual({ value: once, redactions: 0 });
  });

  it('fingerprints a non-string value under a secret-named key as its JSON', () => {
    const creds = { pin: 1234, signing_key: { kty: 'oct', k: 'S'.repeat(24) } };
    const { value } = redact({ credential: creds });
    expect(value).toEqual({ credential: fp(JSON.stringify(creds), 'credential') });
  });
});

describe('evidence store', () => {
  let dir: string;
  let store: FileEvidenceStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tourniquet-evidence-'));
    store = new FileEvidenceStore(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const content = { host: 'web-1', env: { GITHUB_TOKEN: ghToken, HOME: '/root' }, password: dbPassword };

  it('stores redacted JSON and returns a reference whose hash and size match the stored bytes', async () => {
    const ref = await recordArtifact(store, { incidentId: 'inc/1', name: 'process-env', content });
    const bytes = await store.get(ref.uri);
    expect(ref).toEqual({
      name: 'process-env',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.byteLength,
      uri: `evidence://inc%2F1/${ref.sha256}.json`,
      contentType: 'application/json',
      redactions: 2,
    });
    const text = bytes.toString('utf8');
    expect(JSON.parse(text)).toEqual(redact(content).value);
    expect(text).not.toContain(ghToken);
    expect(text).not.toContain(dbPassword);
  });

  it('stores text as text, redacted', async () => {
    const ref = await recordArtifact(store, { incidentId: 'inc-1', name: 'log', content: `auth ok for ${awsKeyId}\n` });
    expect(ref.contentType).toBe('text/plain');
    expect(ref.uri).toMatch(/\.txt$/);
    expect((await store.get(ref.uri)).toString()).toBe(`auth ok for ${fp(awsKeyId, 'aws-access-key-id')}\n`);
  });

  it('writes the same content once, under the same reference', async () => {
    const a = await recordArtifact(store, { incidentId: 'inc-1', name: 'first', content });
    const b = await recordArtifact(store, { incidentId: 'inc-1', name: 'retry', content });
    expect(b.uri).toBe(a.uri);
    expect(await readdir(join(dir, 'inc-1'))).toEqual([`${a.sha256}.json`]);
  });

  it('refuses a URI that is not one of its own', async () => {
    await expect(store.get('file:///etc/passwd')).rejects.toThrow('not an evidence URI this store can read: file:///etc/passwd');
  });

  async function recordTwo() {
    const ledger = new EvidenceLedger();
    const one = await recordArtifact(store, { incidentId: 'inc-1', name: 'one', content: 'first artifact\n' });
    const two = await recordArtifact(store, { incidentId: 'inc-1', name: 'two', content: { n: 2 } });
    ledger.append('collect', one);
    ledger.append('collect', two);
    return { entries: ledger.list(), pathOf: (sha: string, ext: string) => join(dir, 'inc-1', `${sha}.${ext}`), one, two };
  }

  it('verifies intact evidence', async () => {
    const { entries } = await recordTwo();
    expect(await verifyEvidence(store, entries)).toEqual({
      ok: true,
      entries: [
        { seq: 1, name: 'one', ok: true, problems: [] },
        { seq: 2, name: 'two', ok: true, problems: [] },
      ],
    });
  });

  it('detects an artifact modified after it was recorded', async () => {
    const { entries, pathOf, one } = await recordTwo();
    const tampered = 'first artifacT\n';
    await writeFile(pathOf(one.sha256, 'txt'), tampered);
    const actual = createHash('sha256').update(tampered).digest('hex');
    const result = await verifyEvidence(store, entries);
    expect(result.ok).toBe(false);
    expect(result.entries[0]!.problems).toEqual([`artifact hashes to ${actual.slice(0, 12)}…, ledger says ${one.sha256.slice(0, 12)}…`]);
    expect(result.entries[1]!.ok).toBe(true);

    await writeFile(pathOf(one.sha256, 'txt'), 'short\n');
    expect((await verifyEvidence(store, entries)).entries[0]!.problems[1]).toBe('artifact is 6 bytes, ledger says 15');
  });

  it('never overwrites an artifact: a replayed write of changed evidence is refused for good, and the change stays visible', async () => {
    const { entries, pathOf, one } = await recordTwo();
    await writeFile(pathOf(one.sha256, 'txt'), 'first artifacT\n');
    const replay = recordArtifact(store, { incidentId: 'inc-1', name: 'one', content: 'first artifact\n' });
    await expect(replay).rejects.toMatchObject({ type: FAILURE_TYPES.EvidenceConflict, nonRetryable: true });
    await expect(replay).rejects.toThrow(/already exists with other content .*not overwritten/);
    expect(await readFile(pathOf(one.sha256, 'txt'), 'utf8')).toBe('first artifacT\n');
    expect((await verifyEvidence(store, entries)).entries[0]!.ok).toBe(false);
    expect(await readdir(join(dir, 'inc-1'))).toHaveLength(2);
  });

  it('detects a missing artifact', async () => {
    const { entries, pathOf, two } = await recordTwo();
    await unlink(pathOf(two.sha256, 'json'));
    const result = await verifyEvidence(store, entries);
    expect(result.ok).toBe(false);
    expect(result.entries[0]!.ok).toBe(true);
    expect(result.entries[1]!.problems).toEqual([`artifact missing: not in the evidence store (${two.uri})`]);
    expect(result.entries[1]!.missing).toBe(true);
    // what `tourniquet verify-evidence` prints: missing, not tampered
    const printed = formatVerification('inc-1', result, dir);
    expect(printed).toContain(`FAILED verification (2 entries, 1 missing from ${dir})`);
    expect(printed).toMatch(/#2 MISSING {2}two: artifact missing/);
    expect(printed).not.toContain('TAMPERED');
  });

  it('says UNREADABLE, not TAMPERED, when the store cannot read an artifact', async () => {
    const { entries, pathOf, two } = await recordTwo();
    // a directory where the artifact should be: the read fails (EISDIR) without the artifact being altered
    await unlink(pathOf(two.sha256, 'json'));
    await mkdir(pathOf(two.sha256, 'json'));
    const result = await verifyEvidence(store, entries);
    expect(result.ok).toBe(false);
    expect(result.entries[1]).toMatchObject({ ok: false, unreadable: true });
    expect(result.entries[1]!.missing).toBeUndefined();
    const printed = formatVerification('inc-1', result, dir);
    expect(printed).toContain(`FAILED verification (2 entries, 1 unreadable from ${dir})`);
    expect(printed).toMatch(/#2 UNREADABLE two: artifact unreadable: EISDIR/);
    expect(printed).not.toContain('TAMPERED');
  });

  it('reports a broken chain even when every artifact is intact', async () => {
    const { entries } = await recordTwo();
    const result = await verifyEvidence(store, [entries[1]!, entries[0]!]);
    expect(result.ok).toBe(false);
    expect(result.entries.find((e) => e.seq === 2)!.problems).toContain('prev_hash does not match the previous entry');
  });
});
