/**
 * Slack: a leaked token is revoked with itself — `auth.revoke` called with the leaked token, which
 * any token may do to itself, so Tourniquet needs no admin rights in the workspace. Whether it is
 * dead is asked with it too (`auth.test`: token_revoked / invalid_auth once it is).
 *
 * Incoming webhook URLs carry no token: only a workspace admin (or the app's collaborators) can
 * remove one. The plan refuses, naming the workspace and the app where Tourniquet's own bot can
 * find them (`auth.test`, `bots.info`), so the people who must act know where.
 */
import { ErrorCode, type WebAPICallResult, type WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../../../workflows/failure-types';
import { redactText } from '../../evidence';
import { createSlackClient } from '../../slack/client';
import type { Leak, Revoker, RevokerContext } from './types';
import { RevokerRefusal } from './types';

/** What Slack answers for a token that cannot be used any more. */
const DEAD = new Set(['token_revoked', 'invalid_auth', 'account_inactive', 'token_expired', 'not_authed']);
const WEBHOOK = /^https:\/\/hooks\.slack\.com\/services\/(T[A-Z0-9]+)\/(B[A-Z0-9]+)\/[A-Za-z0-9]+$/;

/** A client acting as `token` (the leaked one, or Tourniquet's own bot), on the worker's Slack API URL. */
function client(token: string, ctx: RevokerContext): WebClient {
  return createSlackClient({ botToken: token, ...(ctx.slack?.apiUrl ? { apiUrl: ctx.slack.apiUrl } : {}) });
}

/**
 * The call's answer, or the Slack error code; network failures and rate limits are retried by
 * Temporal, a rate limit no sooner than Slack's Retry-After (the client rejects a 429 at once). Not
 * classifySlackError: these errors are about the leaked token, whose value must not reach history.
 */
async function slackCall(
  what: string,
  call: () => Promise<WebAPICallResult>,
  secret: string,
): Promise<WebAPICallResult | { error: string }> {
  try {
    return await call();
  } catch (err) {
    const e = err as { code?: string; data?: { error?: string }; message?: string; retryAfter?: number };
    if (e.code === ErrorCode.PlatformError && e.data?.error) return { error: e.data.error };
    if (e.code === ErrorCode.RateLimitedError) {
      const seconds = Math.max(1, e.retryAfter ?? 1);
      throw ApplicationFailure.create({
        message: `Slack rate-limited ${what}; retrying after ${seconds}s`,
        type: FAILURE_TYPES.SlackRateLimited,
        nextRetryDelay: `${seconds}s`,
      });
    }
    const message = redactText(`Slack ${what} failed: ${e.message ?? String(err)}`, { known: [secret] }).value;
    throw ApplicationFailure.retryable(message, FAILURE_TYPES.SlackUnavailable);
  }
}

async function whoIs(leak: Leak, ctx: RevokerContext): Promise<{ alive: true; who: string } | { alive: false; error: string }> {
  const res = await slackCall('auth.test with the leaked token', () => client(leak.secret, ctx).auth.test(), leak.secret);
  if ('error' in res && typeof res.error === 'string' && !('ok' in res && res.ok)) {
    if (DEAD.has(res.error)) return { alive: false, error: res.error };
    throw ApplicationFailure.nonRetryable(`Slack auth.test with the leaked token: ${res.error}`, FAILURE_TYPES.SlackRejected);
  }
  const r = res as { user?: string; user_id?: string; team?: string; team_id?: string; bot_id?: string };
  return {
    alive: true,
    who: `${r.bot_id ? `bot ${r.bot_id} (user ${r.user})` : `user ${r.user} (${r.user_id})`} in workspace ${r.team} (${r.team_id})`,
  };
}

/** Where an incoming webhook lives, as far as Tourniquet's own bot can tell. */
async function webhookPlace(teamId: string, botId: string, ctx: RevokerContext): Promise<string> {
  const token = ctx.slack?.botToken;
  if (!token) return `workspace ${teamId}, webhook ${botId}`;
  const own = client(token, ctx);
  const me = await slackCall('auth.test', () => own.auth.test(), token);
  const sameTeam = 'team_id' in me && me.team_id === teamId;
  const workspace = sameTeam
    ? `workspace ${String((me as { team?: string }).team)} (${teamId}, ${String((me as { url?: string }).url)})`
    : `workspace ${teamId} (not Tourniquet's)`;
  if (!sameTeam) return `${workspace}, webhook ${botId}`;
  const bot = await slackCall('bots.info', () => own.bots.info({ bot: botId }), token);
  const info = (bot as { bot?: { name?: string; app_id?: string } }).bot;
  return info
    ? `${workspace}, app "${info.name}" (${info.app_id}), webhook ${botId}`
    : `${workspace}, webhook ${botId} (${'error' in bot ? String(bot.error) : 'unknown bot'})`;
}

export const slackTokenRevoker: Revoker = {
  name: 'slack-token',
  handles: (secretType) => secretType === 'slack_api_token' || secretType === 'slack_incoming_webhook_url',

  async plan(leak, ctx) {
    if (leak.secretType === 'slack_incoming_webhook_url') {
      const m = WEBHOOK.exec(leak.secret.trim());
      const place = m ? await webhookPlace(m[1]!, m[2]!, ctx) : 'an unrecognised webhook URL';
      throw new RevokerRefusal(
        `a Slack incoming webhook URL (${leak.fingerprint}) cannot revoke itself: only a workspace admin or the app's collaborators can remove it (${place}; Slack → Manage apps → the app → Incoming Webhooks → Remove)`,
      );
    }
    const state = await whoIs(leak, ctx);
    if (!state.alive)
      return { ref: null, description: `Slack token ${leak.fingerprint} is already unusable (${state.error}): nothing to revoke` };
    return {
      ref: null,
      description: `revoke Slack token ${leak.fingerprint} of ${state.who} with auth.revoke, called with the token itself`,
    };
  },

  async revoke(leak, _plan, ctx) {
    if (ctx.dryRun) return { summary: `would call auth.revoke with Slack token ${leak.fingerprint}`, changed: false };
    const res = await slackCall('auth.revoke with the leaked token', () => client(leak.secret, ctx).auth.revoke(), leak.secret);
    if ('error' in res && typeof res.error === 'string') {
      if (DEAD.has(res.error))
        return {
          summary: `Slack token ${leak.fingerprint} was already unusable (${res.error})`,
          changed: false,
          details: { alreadyRevoked: true },
        };
      throw ApplicationFailure.nonRetryable(`Slack auth.revoke with the leaked token: ${res.error}`, FAILURE_TYPES.SlackRejected);
    }
    return {
      summary: `revoked Slack token ${leak.fingerprint} (auth.revoke with itself)`,
      changed: (res as { revoked?: boolean }).revoked === true,
    };
  },

  async check(leak, _plan, ctx) {
    const state = await whoIs(leak, ctx);
    return state.alive
      ? { revoked: false, summary: `Slack token ${leak.fingerprint} still works (auth.test answers for ${state.who})` }
      : { revoked: true, summary: `Slack token ${leak.fingerprint} is dead: auth.test with it answers ${state.error}` };
  },
};
