/**
 * revoke-leaked-key for Slack secrets, against the strict fake Slack (test/support/fake-slack.ts)
 * and the fake GitHub, with a real Temporal dev server and worker: a leaked token is revoked with
 * itself (`auth.revoke`), and an incoming webhook URL is refused before any gate, saying who can
 * remove it and where.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import type { IncidentStatus } from '../workflows';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';

const BOT = 'xoxb-' + 'tourniquet-bot-0001';
let slack: FakeSlack;
let fake: FakeGitHub;
let h: Harness;
const open = new Set<string>();

beforeAll(async () => {
  slack = await startFakeSlack({ token: BOT });
  fake = await startFakeGitHub();
  await fake.addRepo('acme/api');
  h = await startHarness({
    github: { token: fake.appToken, apiUrl: fake.url },
    slack: { botToken: BOT, channel: 'C0INCIDENTS', apiUrl: slack.url },
  });
});
afterEach(async () => {
  for (const id of open)
    await h.client.workflow
      .getHandle(id)
      .cancel()
      .catch(() => {});
  open.clear();
  expect(fake.rejections.splice(0)).toEqual([]);
});
afterAll(async () => {
  await h?.stop();
  await fake?.stop();
  await slack?.stop();
});

const leakedSlackToken = () => `xoxp-1111111111-2222222222-${randomBytes(16).toString('hex')}`;

async function start(secret: string, secretType: string, options: { mode?: 'live' | 'drill' } = {}) {
  const n = fake.addLeak('acme/api', { secret, secretType, commits: [{ authoredAt: '2026-11-20T08:00:00Z' }] });
  const id = await startIncident(
    h.client,
    {
      playbook: 'revoke-leaked-key',
      requester: 'alice',
      mode: options.mode ?? 'live',
      params: { owner: 'acme', repo: 'api', alertNumber: n },
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  return { id, n };
}

async function finished(id: string): Promise<IncidentStatus> {
  const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
  open.delete(id);
  return final;
}

/** auth.revoke calls that revoked something (the fake keeps no token in calls: Authorization is a header). */
const revokes = () => slack.calls.filter((c) => c.method === 'auth.revoke' && c.ok && c.response?.revoked === true);

describe('revoke-leaked-key for Slack', () => {
  it('revokes a leaked token with itself once approved, and verifies it is dead', async () => {
    const token = leakedSlackToken();
    slack.addToken(token, { user: 'mallory', userId: 'U0MALLORY' });
    const { id, n } = await start(token, 'slack_api_token');
    const status = await waitForGate(h.client, id);
    expect(status.gates[0]!.step).toMatch(
      /revoke Slack token \[REDACTED:slack_api_token sha256:[0-9a-f]{12} last4:\w{4}\] of user mallory \(U0MALLORY\) in workspace Tourniquet Test \(T0TEST\) with auth.revoke, called with the token itself/,
    );
    expect(slack.isRevoked(token)).toBe(false);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(slack.isRevoked(token)).toBe(true);
    expect(revokes()).toHaveLength(1);
    expect(fake.repo('acme/api').alerts.get(n)).toMatchObject({ state: 'resolved', resolution: 'revoked' });
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'verify.passed')!.summary).toMatch(/is dead: auth.test with it answers token_revoked/);
    expect(JSON.stringify(timeline)).not.toContain(token);
    expect(JSON.stringify(h.notifier.of(id))).not.toContain(token);
  });

  it('a rate-limited auth.revoke is tried again no sooner than Slack’s Retry-After, and once', async () => {
    const token = leakedSlackToken();
    slack.addToken(token, { user: 'eve', userId: 'U0EVE' });
    const { id } = await start(token, 'slack_api_token');
    await waitForGate(h.client, id);
    const from = slack.calls.length;
    slack.failNext('auth.revoke', { status: 429, retryAfter: 3 });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(slack.isRevoked(token)).toBe(true);
    const tries = slack.calls.slice(from).filter((c) => c.method === 'auth.revoke');
    expect(tries.map((c) => c.ok)).toEqual([false, true]);
    // The activity's own retry policy would have tried again after 1 s.
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(3_000);
    const timeline = await getTimeline(h.client, id);
    expect(JSON.stringify(timeline)).not.toContain(token);
  });

  it('in a drill, the token is only looked at', async () => {
    const token = leakedSlackToken();
    slack.addToken(token, { user: 'dev', userId: 'U0DEV' });
    const { id } = await start(token, 'slack_api_token', { mode: 'drill' });
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(slack.isRevoked(token)).toBe(false);
    expect((await getTimeline(h.client, id)).find((e) => e.kind === 'action.completed')!.summary).toMatch(
      /^DRILL: would call auth.revoke with Slack token/,
    );
  });

  it('an incoming webhook URL is refused before any gate: only a workspace admin can remove it, and where', async () => {
    slack.addBot({ id: 'B0HOOKS42', name: 'deploy-notifier', appId: 'A0DEPLOY' });
    const url = `https://hooks.slack.com/services/T0TEST/B0HOOKS42/${randomBytes(12).toString('hex')}`;
    const { id } = await start(url, 'slack_incoming_webhook_url');
    await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow(WorkflowFailedError);
    open.delete(id);
    const s = await getStatus(h.client, id);
    expect(s.gates).toEqual([]);
    expect(s.outcome).toMatch(
      /cannot revoke the leaked slack_incoming_webhook_url: a Slack incoming webhook URL \(\[REDACTED:.*\]\) cannot revoke itself: only a workspace admin or the app's collaborators can remove it \(workspace Tourniquet Test \(T0TEST, https:\/\/tourniquet-test.slack.com\/\), app "deploy-notifier" \(A0DEPLOY\), webhook B0HOOKS42; Slack → Manage apps/,
    );
    expect(s.outcome).not.toContain(url);
  });
});
