/**
 * GitHub REST clients for activities: Octokit with the throttling and retry plugins.
 *
 * Who retries what:
 * - Throttling queues writes (one at a time, a second apart: GitHub's advice against secondary
 *   rate limits) but never sleeps on a rate limit inside an activity: its handlers answer "don't
 *   retry", and the classified failure (./errors) asks Temporal to retry after exactly Retry-After
 *   (or the rate-limit reset). A worker waiting minutes inside an activity would hold a slot and
 *   hide the wait from the history.
 * - plugin-retry makes one quick retry (250 ms) of a 5xx or network error, so a single blip does not
 *   cost an activity attempt; anything longer is Temporal's, with backoff and visible attempts.
 *   409 and 429 are left to Temporal too (a conflict needs the backoff; a 429 needs Retry-After).
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

export const GitHubOctokit = Octokit.plugin(throttling, retry);
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

export interface GitHubSettings {
  /** a secret: never logged, never in a failure message */
  token: string;
  /** https://api.github.com, or a GitHub Enterprise Server's `https://HOST/api/v3` */
  apiUrl?: string;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
const REQUEST_TIMEOUT_MS = 20_000;
const API_VERSION = '2022-11-28';

export interface GitHubClients {
  apiUrl: string;
  /** authenticated with the worker's token */
  api: GitHubOctokit;
  /** no credentials at all: `POST /credentials/revoke` answers 403 to any authenticated request */
  anonymous: GitHubOctokit;
  /** authenticated with another token (a leaked one, to check it is dead), no retries */
  withToken(token: string): GitHubOctokit;
}

/** A hung connection fails the request (and is retried) instead of holding the activity to its timeout. */
const fetchWithTimeout: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function create(apiUrl: string, auth: string | undefined, retries: number): GitHubOctokit {
  const octokit = new GitHubOctokit({
    ...(auth ? { auth } : {}),
    baseUrl: apiUrl,
    userAgent: 'tourniquet',
    // Octokit's own log lines could quote request options; failures reach people through ./errors.
    log: quietLog,
    request: { fetch: fetchWithTimeout },
    throttle: {
      onRateLimit: () => false,
      onSecondaryRateLimit: () => false,
    },
    retry: {
      enabled: retries > 0,
      retries,
      retryAfterBaseValue: 250,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
  });
  // The REST version the calls (and the fake GitHub in tests) are written against.
  octokit.hook.before('request', (options) => {
    options.headers['x-github-api-version'] = API_VERSION;
  });
  return octokit;
}

export function createGitHubClients(settings: GitHubSettings): GitHubClients {
  const apiUrl = (settings.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
  return {
    apiUrl,
    api: create(apiUrl, settings.token, 1),
    anonymous: create(apiUrl, undefined, 1),
    withToken: (token) => create(apiUrl, token, 0),
  };
}
