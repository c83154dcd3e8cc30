/**
 * GitHub failures as Temporal sees them. What a retry cannot fix (400, 401, 403, 404, 410, 422)
 * fails the step at once with GitHub's own message; a conflict, a 5xx or a network error is retried
 * with the workflow's backoff; a rate limit waits exactly as long as GitHub says. Messages never
 * carry a secret: the leaked value is scrubbed from anything GitHub echoes back.
 */
import { ApplicationFailure } from '@temporalio/common';
import { redactText } from '../evidence';
import { FAILURE_TYPES } from '../../workflows/failure-types';

interface RequestErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isRequestError(err: unknown): err is RequestErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/** GitHub's `message` from the body, else the client's. */
function githubMessage(err: RequestErrorLike): string {
  const data = err.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : err.message;
  const errors = Array.isArray(data?.errors) && data.errors.length ? ` (${JSON.stringify(data.errors).slice(0, 300)})` : '';
  return `${message}${errors}`;
}

/** Seconds to wait before retrying a rate-limited request, or undefined when it is not one. */
export function rateLimitDelaySeconds(err: RequestErrorLike, now = Date.now()): number | undefined {
  const headers = err.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0 && headers['retry-after'] !== undefined) return Math.max(1, Math.ceil(retryAfter));
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return Number.isFinite(reset) ? Math.max(1, Math.ceil(reset - now / 1000) + 1) : 60;
  }
  if (err.status === 429 || /\brate limit\b/i.test(githubMessage(err))) return 60;
  return undefined;
}

/**
 * Turns anything a GitHub call threw into a classified failure. The original error is never kept
 * as the cause: its request options hold the body (for `/credentials/revoke`, the token itself).
 */
export function classifyGitHubError(err: unknown, what: string, known: readonly string[] = []): Error {
  if (err instanceof ApplicationFailure) return err;
  const scrub = (text: string) => redactText(text, { known }).value;
  if (!isRequestError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.retryable(scrub(`GitHub ${what} failed: ${message}`), FAILURE_TYPES.GitHubUnavailable);
  }
  const { status } = err;
  const message = scrub(githubMessage(err));
  if (status === 403 || status === 429) {
    const delay = rateLimitDelaySeconds(err);
    if (delay !== undefined) {
      return ApplicationFailure.create({
        message: `GitHub rate-limited ${what} (${status}); retrying after ${delay}s`,
        type: FAILURE_TYPES.GitHubRateLimited,
        nextRetryDelay: `${delay}s`,
      });
    }
  }
  if (status === 409) return ApplicationFailure.retryable(`GitHub ${what}: 409 conflict: ${message}`, FAILURE_TYPES.GitHubUnavailable);
  // @octokit/request reports network failures (no response at all) as status 500.
  if (status >= 500 || !err.response) {
    return ApplicationFailure.retryable(`GitHub ${what} failed: ${status} ${message}`, FAILURE_TYPES.GitHubUnavailable);
  }
  const hint =
    status === 401
      ? ' (check GITHUB_TOKEN)'
      : status === 403 || status === 404
        ? ' (check the token can see this repository and has the permissions listed in docs/playbooks/)'
        : '';
  return ApplicationFailure.nonRetryable(`GitHub refused ${what}: ${status} ${message}${hint}`, FAILURE_TYPES.GitHubRejected);
}

/** Runs a GitHub call, turning its failures into classified ones. */
export async function githubCall<T>(what: string, call: () => Promise<T>, known: readonly string[] = []): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyGitHubError(err, what, known);
  }
}

/** The status of a GitHub error, for the few places where a status is an answer (404: gone, 401: revoked). */
export function statusOf(err: unknown): number | undefined {
  return isRequestError(err) ? err.status : undefined;
}
