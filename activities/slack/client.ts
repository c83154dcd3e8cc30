/**
 * The Slack Web API client for activities. Retries are Temporal's job, not the client's: a 429
 * becomes a retryable failure that waits exactly Retry-After, a 5xx or a network error a plain
 * retryable one, and an error Slack will repeat (channel_not_found, invalid_auth…) a non-retryable
 * one, so nothing hammers Slack and nothing retries in vain.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, LogLevel, WebClient, type WebAPICallError } from '@slack/web-api';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export function createSlackClient(options: { botToken: string; apiUrl?: string }): WebClient {
  return new WebClient(options.botToken, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl.replace(/\/?$/, '/') } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
}

/** Slack errors that a retry cannot fix. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_arguments',
  'invalid_blocks',
  'no_text',
  'message_not_found',
  'cant_update_message',
  'no_such_subteam',
]);

export function classifySlackError(err: unknown, method: string): Error {
  const e = err as WebAPICallError & { retryAfter?: number; data?: { error?: string } };
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return ApplicationFailure.create({
        message: `Slack rate-limited ${method}; retrying after ${e.retryAfter}s`,
        type: FAILURE_TYPES.SlackRateLimited,
        nextRetryDelay: `${Math.max(1, e.retryAfter ?? 1)}s`,
      });
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      return PERMANENT.has(code)
        ? ApplicationFailure.nonRetryable(`Slack refused ${method}: ${code}`, FAILURE_TYPES.SlackRejected)
        : ApplicationFailure.retryable(`Slack ${method} failed: ${code}`, FAILURE_TYPES.SlackError);
    }
    case ErrorCode.HTTPError:
    case ErrorCode.RequestError:
      return ApplicationFailure.retryable(`Slack unreachable for ${method}: ${e.message}`, FAILURE_TYPES.SlackUnavailable);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

/** Calls Slack, turning its failures into classified Temporal failures. */
export async function slackCall<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifySlackError(err, method);
  }
}

/** `C123:1700000000.000100` ⇄ { channel, ts }: how message references are kept in workflow state. */
export function messageRef(channel: string, ts: string): string {
  return `${channel}:${ts}`;
}

export function parseMessageRef(ref: string | undefined): { channel: string; ts: string } | undefined {
  if (!ref) return undefined;
  const i = ref.indexOf(':');
  return i > 0 ? { channel: ref.slice(0, i), ts: ref.slice(i + 1) } : undefined;
}
