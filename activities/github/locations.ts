/**
 * Where a secret leaked, and since when: the alert's locations, and for each leaking commit its
 * author and committer times. The exposure starts at the earliest of them — the author time can
 * precede the push, but a window reported too long is safer than one reported too short.
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import type { GitHubClients } from './client';
import { githubCall, statusOf } from './errors';
import type { AlertTarget } from './alerts';

type Location = RestEndpointMethodTypes['secretScanning']['listLocationsForAlert']['response']['data'][number];

export interface CommitTime {
  sha: string;
  authoredAt: string | null;
  committedAt: string | null;
  /** first line of the message (redacted with everything else before it is stored) */
  subject: string | null;
  found: boolean;
}

export interface LeakLocations {
  locations: Location[];
  commits: CommitTime[];
  /** earliest commit time; undefined when no leaking commit could be dated */
  firstCommitAt?: string;
}

/** Enough to date any real leak; an alert with more locations is dated by its first ones. */
const MAX_COMMIT_LOOKUPS = 50;

function commitShaOf(location: Location): string | undefined {
  const details = location.details as { commit_sha?: unknown } | undefined;
  return location.type === 'commit' && typeof details?.commit_sha === 'string' ? details.commit_sha : undefined;
}

async function commitTime(github: GitHubClients, target: AlertTarget, sha: string, known: readonly string[]): Promise<CommitTime> {
  try {
    const { data } = await github.api.rest.git.getCommit({ owner: target.owner, repo: target.repo, commit_sha: sha });
    return {
      sha,
      authoredAt: data.author.date,
      committedAt: data.committer.date,
      subject: data.message.split('\n')[0] ?? null,
      found: true,
    };
  } catch (err) {
    // A commit rewritten out of history still leaked: keep the location, just without a time.
    if (statusOf(err) === 404 || statusOf(err) === 422) return { sha, authoredAt: null, committedAt: null, subject: null, found: false };
    return githubCall(`GET commit ${sha} of ${target.owner}/${target.repo}`, () => Promise.reject(err), known);
  }
}

export async function leakLocations(github: GitHubClients, target: AlertTarget, known: readonly string[]): Promise<LeakLocations> {
  const locations = await githubCall(
    `list locations of ${target.owner}/${target.repo} secret scanning alert #${target.alertNumber}`,
    () =>
      github.api.paginate(github.api.rest.secretScanning.listLocationsForAlert, {
        owner: target.owner,
        repo: target.repo,
        alert_number: target.alertNumber,
        per_page: 100,
      }),
    known,
  );
  const shas = [...new Set(locations.map(commitShaOf).filter((s): s is string => !!s))].slice(0, MAX_COMMIT_LOOKUPS);
  const commits: CommitTime[] = [];
  for (const sha of shas) commits.push(await commitTime(github, target, sha, known));
  const times = commits.flatMap((c) => [c.authoredAt, c.committedAt]).filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)));
  const first = times.length ? Math.min(...times.map((t) => Date.parse(t))) : undefined;
  return { locations, commits, ...(first !== undefined ? { firstCommitAt: new Date(first).toISOString() } : {}) };
}
