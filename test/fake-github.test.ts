/**
 * The fake GitHub is only worth its tests if it refuses what GitHub refuses and answers as GitHub
 * answers. Raw requests here (no Octokit), so nothing in between smooths a mistake over.
 */
import sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { leakedToken } from './support/github-leaks';

let fake: FakeGitHub;
beforeAll(async () => {
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  fake.addLeak('acme/api', {
    secret: leakedToken(),
    secretType: 'github_personal_access_token',
    commits: [{ authoredAt: '2026-11-01T00:00:00Z' }],
  });
});
afterAll(async () => {
  await fake?.stop();
});

async function call(method: string, path: string, options: { body?: unknown; token?: string | null } = {}) {
  const token = options.token === undefined ? fake.appToken : options.token;
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `token ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('the fake GitHub refuses what GitHub refuses', () => {
  it('an operation GitHub does not have: 404 Not Found, and it is recorded', async () => {
    const r = await call('POST', '/repos/acme/api/secret-scanning/alerts/1/revoke');
    expect(r).toMatchObject({ status: 404, body: { message: 'Not Found', documentation_url: expect.any(String) } });
    expect(fake.problems.splice(0)).toEqual(['no GitHub operation POST /repos/acme/api/secret-scanning/alerts/1/revoke']);
  });

  it("a body the description rejects: 422 with GitHub's error shape", async () => {
    expect(await call('POST', '/credentials/revoke', { body: { credentials: [] }, token: null })).toMatchObject({
      status: 422,
      body: { message: expect.stringMatching(/must NOT have fewer than 1 items/) },
    });
    expect(await call('POST', '/credentials/revoke', { body: { tokens: ['x'] }, token: null })).toMatchObject({
      status: 422,
      body: { message: expect.stringMatching(/"tokens" is not a permitted key/) },
    });
    expect(await call('POST', '/credentials/revoke', { token: null })).toMatchObject({ status: 422 });
    expect(await call('PATCH', '/repos/acme/api/secret-scanning/alerts/1', { body: { state: 'closed' } })).toMatchObject({
      status: 422,
      body: { message: expect.stringMatching(/allowed values/) },
    });
    expect(await call('PATCH', '/repos/acme/api/secret-scanning/alerts/1', { body: { resolution: 'revoked' } })).toMatchObject({
      status: 422,
    });
    expect(await call('PUT', '/repos/acme/api/actions/secrets/X', { body: { encrypted_value: 'not base64!', key_id: '1' } })).toMatchObject(
      { status: 422 },
    );
    expect(fake.rejections.splice(0)).toHaveLength(6);
  });

  it('query and path parameters the description rejects', async () => {
    expect(await call('GET', '/repos/acme/api/secret-scanning/alerts/1/locations?per_page=lots')).toMatchObject({ status: 422 });
    expect(await call('GET', '/repos/acme/api/secret-scanning/alerts/1?hide=true')).toMatchObject({
      status: 422,
      body: { message: expect.stringMatching(/"hide" is not a permitted query parameter/) },
    });
    expect(await call('GET', '/repos/acme/api/secret-scanning/alerts/one')).toMatchObject({ status: 404 });
    expect(fake.rejections.splice(0)).toHaveLength(3);
  });

  it('authentication: none, unknown or revoked is 401; an authenticated call to /credentials/revoke is 403', async () => {
    expect(await call('GET', '/repos/acme/api/keys', { token: null })).toMatchObject({
      status: 401,
      body: { message: 'Requires authentication' },
    });
    expect(await call('GET', '/repos/acme/api/keys', { token: 'ghp_nope' })).toMatchObject({
      status: 401,
      body: { message: 'Bad credentials' },
    });
    const leaked = leakedToken();
    fake.addToken(leaked, 'dev');
    expect(await call('GET', '/user', { token: leaked })).toMatchObject({ status: 200, body: { login: 'dev' } });
    expect(await call('POST', '/credentials/revoke', { body: { credentials: [leaked] } })).toMatchObject({ status: 403 });
    expect(fake.isRevoked(leaked)).toBe(false);
    expect(await call('POST', '/credentials/revoke', { body: { credentials: [leaked] }, token: null })).toMatchObject({ status: 202 });
    expect(await call('GET', '/user', { token: leaked })).toMatchObject({ status: 401, body: { message: 'Bad credentials' } });
  });

  it("GitHub's own rules past the schema: no resolution without a change, secret names, key ids", async () => {
    expect(await call('PATCH', '/repos/acme/api/secret-scanning/alerts/1', { body: { state: 'open' } })).toMatchObject({ status: 400 });
    expect(
      await call('PUT', '/repos/acme/api/actions/secrets/GITHUB_X', { body: { encrypted_value: 'c2VjcmV0', key_id: '1' } }),
    ).toMatchObject({ status: 422 });
    expect(
      await call('PUT', '/repos/acme/api/actions/secrets/X', { body: { encrypted_value: 'c2VjcmV0', key_id: 'wrong' } }),
    ).toMatchObject({ status: 422, body: { message: expect.stringMatching(/key_id/) } });
  });
});

describe('the fake GitHub answers as GitHub does', () => {
  it('every implemented operation answers in the shape its description declares', async () => {
    await call('GET', '/user');
    await call('GET', '/repos/acme/api/secret-scanning/alerts/1');
    await call('GET', '/repos/acme/api/secret-scanning/alerts/1?hide_secret=true');
    const locations = await call('GET', '/repos/acme/api/secret-scanning/alerts/1/locations?per_page=100');
    await call('GET', `/repos/acme/api/git/commits/${locations.body[0].details.commit_sha}`);
    await call('GET', '/repos/acme/api/keys');
    const key = await call('GET', '/repos/acme/api/actions/secrets/public-key');
    await sodium.ready;
    const sealed = sodium.to_base64(
      sodium.crypto_box_seal('new value', sodium.from_base64(key.body.key, sodium.base64_variants.ORIGINAL)),
      sodium.base64_variants.ORIGINAL,
    );
    expect(
      await call('PUT', '/repos/acme/api/actions/secrets/DEPLOY_TOKEN', { body: { encrypted_value: sealed, key_id: key.body.key_id } }),
    ).toMatchObject({ status: 201 });
    expect(
      await call('PUT', '/repos/acme/api/actions/secrets/DEPLOY_TOKEN', { body: { encrypted_value: sealed, key_id: key.body.key_id } }),
    ).toMatchObject({ status: 204 });
    expect(fake.actionsSecret('acme/api', 'DEPLOY_TOKEN')).toBe('new value');
    const resolved = await call('PATCH', '/repos/acme/api/secret-scanning/alerts/1', {
      body: { state: 'resolved', resolution: 'revoked', resolution_comment: 'done' },
    });
    expect(resolved.body).toMatchObject({
      state: 'resolved',
      resolution: 'revoked',
      resolution_comment: 'done',
      resolved_by: { login: 'tourniquet[bot]' },
    });
    expect(fake.problems).toEqual([]);
  });

  it("faults come with GitHub's headers: a 429 with Retry-After and an exhausted rate limit", async () => {
    fake.failNext('users/get-authenticated', { status: 429, retryAfter: 9 });
    const r = await call('GET', '/user');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('9');
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await call('GET', '/user')).status).toBe(200);
  });
});
