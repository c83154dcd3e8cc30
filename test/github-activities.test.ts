/**
 * The GitHub activities on their own, against the fake GitHub: what reaches GitHub, what is kept,
 * how failures are classified, and that running an action again never applies it twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileEvidenceStore } from '../activities/evidence';
import { createGitHubActivities, createGitHubDeps, type RevokeArgs } from '../activities/github';
import { approved, ed25519KeyPair, leakedToken } from './support/github-leaks';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { FAILURE_TYPES } from '../workflows/failure-types';

let fake: FakeGitHub;
let dir: string;
let store: FileEvidenceStore;
const rotation: Record<string, string> = {};
let acts: ReturnType<typeof createGitHubActivities>;
const quiet = { logger: new DefaultLogger('ERROR') };
const env = new MockActivityEnvironment({}, quiet);
const revokeEnv = new MockActivityEnvironment({ activityType: 'githubRevokeLeakedSecret' }, quiet);
/** MockActivityEnvironment.run, typed by the activity it runs */
const run = <A, R>(e: MockActivityEnvironment, fn: (a: A) => Promise<R>, a: A): Promise<R> => e.run(fn, a) as Promise<R>;

beforeAll(async () => {
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-gh-'));
  store = new FileEvidenceStore(dir);
  acts = createGitHubActivities({
    github: createGitHubDeps({ token: fake.appToken, apiUrl: fake.url }, { rotationValues: (n) => rotation[n] }),
    store,
  });
});
afterEach(() => {
  // Every request the code sent was one GitHub's description allows, and every answer was GitHub-shaped.
  expect(fake.rejections.splice(0)).toEqual([]);
  expect(fake.problems.splice(0)).toEqual([]);
});
afterAll(async () => {
  await fake?.stop();
  await rm(dir, { recursive: true, force: true });
});

const target = (n: number) => ({ owner: 'acme', repo: 'api', alertNumber: n });

async function leakToken(options: { prefix?: string; commits?: { authoredAt: string; committedAt?: string; message?: string }[] } = {}) {
  const secret = leakedToken(options.prefix);
  fake.addToken(secret, 'dev');
  const n = fake.addLeak('acme/api', {
    secret,
    secretType: 'github_personal_access_token',
    commits: options.commits ?? [{ authoredAt: '2026-11-20T10:00:00Z' }],
  });
  const ref = await run(env, acts.githubSecretAlert, { incidentId: 'inc-test', name: 'alert', mode: 'live' as const, input: target(n) });
  const args: RevokeArgs = {
    ...target(n),
    secretType: String(ref.facts!.secretType),
    fingerprint: String(ref.facts!.fingerprint),
    revoker: String(ref.facts!.revoker),
    revokeRef: (ref.facts!.revokeRef as string | null) ?? null,
  };
  return { secret, n, ref, args };
}

const revoke = (args: RevokeArgs, options: { dryRun?: boolean } = {}) =>
  run(
    revokeEnv,
    acts.githubRevokeLeakedSecret,
    approved('githubRevokeLeakedSecret', `acme/api/secret-scanning/${args.alertNumber}`, args, options),
  );

const countOf = (op: string, since: number) => fake.callsOf(op).filter((r) => r.at >= since).length;

describe('evidence', () => {
  it('keeps the fingerprint, never the secret, and dates the leak by its earliest commit time', async () => {
    const secret = leakedToken();
    fake.addToken(secret, 'dev');
    const n = fake.addLeak('acme/api', {
      secret,
      secretType: 'github_personal_access_token',
      pushProtectionBypassed: true,
      commits: [
        { authoredAt: '2026-11-20T10:00:00Z', committedAt: '2026-11-21T09:00:00Z', message: `add token ${secret}\n\nbody` },
        { authoredAt: '2026-11-19T08:30:00Z', committedAt: '2026-11-21T09:00:00Z' },
      ],
    });
    const alert = await run(env, acts.githubSecretAlert, { incidentId: 'inc-ev', name: 'alert', mode: 'live' as const, input: target(n) });
    expect(alert.facts).toMatchObject({
      secretType: 'github_personal_access_token',
      fingerprint: expect.stringMatching(
        new RegExp(`^\\[REDACTED:github_personal_access_token sha256:[0-9a-f]{12} last4:${secret.slice(-4)}\\]$`),
      ),
      pushProtectionBypassed: true,
      validity: 'active',
      state: 'open',
      revoker: 'github-token',
    });
    const where = await run(env, acts.githubSecretLocations, {
      incidentId: 'inc-ev',
      name: 'where',
      mode: 'live' as const,
      input: target(n),
    });
    expect(where.facts).toEqual({ firstCommitAt: '2026-11-19T08:30:00.000Z', locations: 2, commits: 2, undatedCommits: 0 });

    const stored = JSON.parse((await store.get(where.uri)).toString());
    expect(stored.locations[0].details).toMatchObject({
      path: 'config/deploy.env',
      start_line: 3,
      commit_sha: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(stored.commits[0].subject).toMatch(/^add token \[REDACTED:known sha256:[0-9a-f]{12} last4:/);
    const files = await readdir(join(dir, 'inc-ev'));
    for (const f of files) expect(await readFile(join(dir, 'inc-ev', f), 'utf8')).not.toContain(secret);
    expect(JSON.stringify([alert, where])).not.toContain(secret);
  });

  it('follows pagination across all locations, and dates the leak by the first commits it looks up', async () => {
    const commits = Array.from({ length: 120 }, (_, i) => ({
      authoredAt: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 3_600_000).toISOString(),
    }));
    const n = fake.addLeak('acme/api', { secret: leakedToken(), secretType: 'github_personal_access_token', commits });
    const since = Date.now();
    const where = await run(env, acts.githubSecretLocations, {
      incidentId: 'inc-page',
      name: 'where',
      mode: 'live' as const,
      input: target(n),
    });
    expect(where.facts).toEqual({ firstCommitAt: '2026-10-01T00:00:00.000Z', locations: 120, commits: 50, undatedCommits: 0 });
    const pages = fake.requests.filter((r) => r.operationId === 'secret-scanning/list-locations-for-alert' && r.at >= since);
    expect(pages.map((r) => r.query)).toEqual([{ per_page: '100' }, { per_page: '100', page: '2' }]);
  });

  it('finds nothing to revoke for an unknown secret type, and says how to add one', async () => {
    const n = fake.addLeak('acme/api', { secret: 'rk_live_' + 'Q7xZ'.repeat(6), secretType: 'stripe_live_restricted_key' });
    const ref = await run(env, acts.githubSecretAlert, { incidentId: 'inc-x', name: 'alert', mode: 'live' as const, input: target(n) });
    expect(ref.facts).toMatchObject({
      revoker: null,
      revokePlan: expect.stringMatching(/no Revoker for secret type "stripe_live_restricted_key".*add a Revoker/),
    });
  });
});

describe('revoking a GitHub token', () => {
  it('revokes without credentials, resolves the alert, and does nothing the second time', async () => {
    const { secret, args } = await leakToken();
    const since = Date.now();
    const first = await revoke(args);
    expect(first).toMatchObject({
      changed: true,
      summary: expect.stringMatching(/^revoked \[REDACTED:.*resolved alert #\d+ as revoked \(approved by bob\)$/),
    });
    expect(fake.isRevoked(secret)).toBe(true);
    const [revocation] = fake.callsOf('credentials/revoke').filter((r) => r.at >= since);
    expect(revocation).toMatchObject({ body: { credentials: [secret] }, status: 202 });
    expect(revocation!.authorization).toBeUndefined();
    const patch = fake.callsOf('secret-scanning/update-alert').at(-1)!;
    expect(patch.body).toEqual({
      state: 'resolved',
      resolution: 'revoked',
      resolution_comment: 'Revoked by Tourniquet incident inc-test, approved by bob.',
    });

    const writes = fake.writes().length;
    expect(await revoke(args)).toMatchObject({
      changed: false,
      summary: expect.stringMatching(/already revoked and .* resolved by this incident/),
    });
    expect(fake.writes().length).toBe(writes);
    expect(JSON.stringify(first)).not.toContain(secret);

    const check = await run(env, acts.githubCheckRevoked, { incidentId: 'inc-test', mode: 'live' as const, input: args });
    expect(check).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/is dead: GET \/user with it answers 401; alert #\d+ resolved \(revoked\)/),
    });
  });

  it('after a crash between revoking and resolving, finishes the job without revoking again', async () => {
    const { args } = await leakToken();
    const since = Date.now();
    fake.failNext('secret-scanning/update-alert', { status: 502 }, 2); // plugin-retry's one quick retry, then the attempt fails
    await expect(revoke(args)).rejects.toMatchObject({ type: FAILURE_TYPES.GitHubUnavailable, nonRetryable: false });
    expect(countOf('credentials/revoke', since)).toBe(1);
    const retried = await revoke(args);
    expect(retried.summary).toMatch(/was already revoked; resolved alert #\d+ as revoked/);
    expect(countOf('credentials/revoke', since)).toBe(1);
    expect(countOf('secret-scanning/update-alert', since)).toBe(1);
  });

  it('in a drill, reads but sends nothing', async () => {
    const { secret, args } = await leakToken();
    const writes = fake.writes().length;
    const result = await revoke(args, { dryRun: true });
    expect(result).toMatchObject({
      changed: false,
      summary: expect.stringMatching(/^DRILL: would revoke \[REDACTED:.*; would resolve alert #\d+ as revoked$/),
    });
    expect(fake.writes().length).toBe(writes);
    expect(fake.isRevoked(secret)).toBe(false);
  });

  it('refuses when the alert no longer holds the approved secret', async () => {
    const { args } = await leakToken();
    const writes = fake.writes().length;
    const other = { ...args, fingerprint: '[REDACTED:github_personal_access_token sha256:000000000000 last4:AAAA]' };
    await expect(revoke(other)).rejects.toMatchObject({
      type: FAILURE_TYPES.SecretChanged,
      nonRetryable: true,
      message: expect.stringMatching(/not the approved .*: nothing done/),
    });
    expect(fake.writes().length).toBe(writes);
  });

  it('refuses GitHub App installation tokens before anyone is asked, with the reason', async () => {
    const secret = leakedToken('ghs_');
    const n = fake.addLeak('acme/api', { secret, secretType: 'github_app_installation_access_token' });
    const ref = await run(env, acts.githubSecretAlert, { incidentId: 'inc-ghs', name: 'alert', mode: 'live' as const, input: target(n) });
    expect(ref.facts).toMatchObject({ revoker: null, revokePlan: expect.stringMatching(/installation tokens \(ghs_\) are not accepted/) });
  });
});

describe('GitHub failures', () => {
  it.each([
    [403, /GitHub refused POST \/credentials\/revoke: 403 Resource not accessible by integration/],
    [422, /GitHub refused POST \/credentials\/revoke: 422 Validation Failed/],
  ] as const)("%i fails the step at once with GitHub's message", async (status, message) => {
    const { secret, args } = await leakToken();
    fake.failNext('credentials/revoke', { status });
    const err = await revoke(args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FAILURE_TYPES.GitHubRejected, nonRetryable: true, message: expect.stringMatching(message) });
    expect((err as Error).message).not.toContain(secret);
    expect(fake.isRevoked(secret)).toBe(false);
  });

  it('404 on the alert fails at once', async () => {
    await expect(
      run(env, acts.githubSecretAlert, { incidentId: 'i', name: 'a', mode: 'live' as const, input: target(999) }),
    ).rejects.toMatchObject({
      type: FAILURE_TYPES.GitHubRejected,
      nonRetryable: true,
      message: expect.stringMatching(/GitHub refused GET acme\/api secret scanning alert #999: 404 Not Found/),
    });
  });

  it('409 and 5xx are retryable; one 5xx is absorbed by a quick in-process retry', async () => {
    const { args } = await leakToken();
    fake.failNext('credentials/revoke', { status: 409 });
    await expect(revoke(args)).rejects.toMatchObject({
      type: FAILURE_TYPES.GitHubUnavailable,
      nonRetryable: false,
      message: expect.stringMatching(/409 conflict/),
    });
    fake.failNext('credentials/revoke', { status: 500 });
    const since = Date.now();
    expect(await revoke(args)).toMatchObject({ changed: true });
    expect(fake.requests.filter((r) => r.operationId === 'credentials/revoke' && r.at >= since).map((r) => r.status)).toEqual([500, 202]);
  });

  it('a rate limit asks Temporal to retry after exactly Retry-After, without sleeping in the activity', async () => {
    const { args } = await leakToken();
    fake.failNext('credentials/revoke', { status: 429, retryAfter: 7 });
    const started = Date.now();
    await expect(revoke(args)).rejects.toMatchObject({ type: FAILURE_TYPES.GitHubRateLimited, nonRetryable: false, nextRetryDelay: '7s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    fake.failNext('credentials/revoke', { status: 403, secondaryRateLimit: true, retryAfter: 3 });
    await expect(revoke(args)).rejects.toMatchObject({ type: FAILURE_TYPES.GitHubRateLimited, nextRetryDelay: '3s' });
  });

  it('without GitHub configured, the activities exist and say what to set', async () => {
    const bare = createGitHubActivities({ github: undefined, store });
    await expect(
      run(env, bare.githubSecretAlert, { incidentId: 'i', name: 'a', mode: 'live' as const, input: target(1) }),
    ).rejects.toMatchObject({
      type: FAILURE_TYPES.GitHubNotConfigured,
      message: expect.stringMatching(/set GITHUB_TOKEN/),
    });
  });
});

describe('rotating an Actions secret', () => {
  it('seals the new value to the repository key (GitHub can open it) and refuses what must not be sent', async () => {
    const { args } = await leakToken();
    const rotate = { secretName: 'DEPLOY_TOKEN', valueFromEnv: 'TOURNIQUET_ROTATE_DEPLOY_TOKEN' };
    const before = fake.writes().length;
    await expect(revoke({ ...args, rotate })).rejects.toMatchObject({
      type: FAILURE_TYPES.RotationValueMissing,
      message: expect.stringMatching(/no TOURNIQUET_ROTATE_DEPLOY_TOKEN/),
    });
    await expect(revoke({ ...args, rotate: { secretName: 'X', valueFromEnv: 'GITHUB_TOKEN' } })).rejects.toMatchObject({
      type: FAILURE_TYPES.RotationRefused,
    });
    expect(fake.writes().length).toBe(before);

    rotation.TOURNIQUET_ROTATE_DEPLOY_TOKEN = leakedToken();
    const result = await revoke({ ...args, rotate });
    expect(result.summary).toMatch(/set Actions secret DEPLOY_TOKEN of acme\/api to its new value/);
    expect(fake.actionsSecret('acme/api', 'DEPLOY_TOKEN')).toBe(rotation.TOURNIQUET_ROTATE_DEPLOY_TOKEN);
    const put = fake.callsOf('actions/create-or-update-repo-secret').at(-1)!;
    expect(JSON.stringify(put.body)).not.toContain(rotation.TOURNIQUET_ROTATE_DEPLOY_TOKEN);
    expect(result.summary).not.toContain(rotation.TOURNIQUET_ROTATE_DEPLOY_TOKEN);
  });
});

describe('deleting a deploy key', () => {
  it('matches the leaked private key to its deploy key exactly, deletes it once, and checks it is gone', async () => {
    const leaked = ed25519KeyPair();
    const other = ed25519KeyPair();
    fake.addDeployKey('acme/api', { key: other.publicKey, title: 'docs' });
    const id = fake.addDeployKey('acme/api', { key: leaked.publicKey, title: 'ci deploy' });
    const n = fake.addLeak('acme/api', { secret: leaked.privateKey, secretType: 'github_ssh_private_key' });
    const ref = await run(env, acts.githubSecretAlert, { incidentId: 'inc-dk', name: 'alert', mode: 'live' as const, input: target(n) });
    expect(ref.facts).toMatchObject({
      revoker: 'deploy-key',
      revokeRef: String(id),
      revokePlan: expect.stringMatching(new RegExp(`^delete deploy key ${id} "ci deploy" \\(read-write, SHA256:`)),
    });
    const args: RevokeArgs = {
      ...target(n),
      secretType: 'github_ssh_private_key',
      fingerprint: String(ref.facts!.fingerprint),
      revoker: 'deploy-key',
      revokeRef: String(id),
    };

    expect((await revoke(args)).summary).toMatch(new RegExp(`^deleted deploy key ${id} "ci deploy"; resolved alert`));
    expect(fake.repo('acme/api').deployKeys.map((k) => k.title)).toEqual(['docs']);
    expect(await run(env, acts.githubCheckRevoked, { incidentId: 'inc-test', mode: 'live' as const, input: args })).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/deploy key \d+ is gone/),
    });

    // A crash before the alert was resolved: the retry finds the key gone and carries on.
    fake.repo('acme/api').alerts.get(n)!.state = 'open';
    fake.repo('acme/api').alerts.get(n)!.resolution = null;
    const deletes = fake.callsOf('repos/delete-deploy-key').length;
    expect((await revoke(args)).summary).toMatch(new RegExp(`^deploy key ${id} was already deleted; resolved alert`));
    expect(fake.callsOf('repos/delete-deploy-key').length).toBe(deletes);
  });

  it('deletes nothing when no deploy key matches, and says so before anyone is asked', async () => {
    const leaked = ed25519KeyPair();
    fake.addDeployKey('acme/api', { key: ed25519KeyPair().publicKey, title: 'unrelated' });
    const n = fake.addLeak('acme/api', { secret: leaked.privateKey, secretType: 'openssh_private_key' });
    const ref = await run(env, acts.githubSecretAlert, { incidentId: 'inc-dk2', name: 'alert', mode: 'live' as const, input: target(n) });
    expect(ref.facts).toMatchObject({
      revoker: null,
      revokePlan: expect.stringMatching(/no deploy key of acme\/api matches the leaked key \(SHA256:[A-Za-z0-9+/]+\)/),
    });
    const stored = (await store.get(ref.uri)).toString();
    expect(stored).not.toContain(leaked.privateKey.split('\n')[1]!);
  });
});
