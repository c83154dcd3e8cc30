/**
 * Files a postmortem as a GitHub issue, once per incident: the issue carries a hidden marker with
 * the incident id and a label, so running the export again finds it instead of filing a second one.
 */
import type { GitHubOctokit } from '../../activities/github/client';
import { renderMarkdown } from './markdown';
import type { Postmortem } from './model';

export const POSTMORTEM_LABEL = 'tourniquet-postmortem';
/** GitHub refuses issue bodies over 65,536 characters. */
const MAX_BODY = 65_000;

export interface FiledIssue {
  number: number;
  url: string;
  created: boolean;
}

export function parseRepository(ownerRepo: string): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(ownerRepo);
  if (!m) throw new Error(`--github-issue takes owner/repo, got "${ownerRepo}"`);
  return { owner: m[1]!, repo: m[2]! };
}

export async function fileGitHubIssue(octokit: GitHubOctokit, ownerRepo: string, pm: Postmortem): Promise<FiledIssue> {
  const { owner, repo } = parseRepository(ownerRepo);
  const marker = `<!-- tourniquet:incident:${pm.incident.id} -->`;
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
    owner,
    repo,
    labels: POSTMORTEM_LABEL,
    state: 'all',
    per_page: 100,
  })) {
    const existing = page.data.find((issue) => issue.body?.includes(marker));
    if (existing) return { number: existing.number, url: existing.html_url, created: false };
  }
  let body = `${marker}\n${renderMarkdown(pm)}`;
  if (body.length > MAX_BODY)
    body = `${body.slice(0, MAX_BODY)}\n\n_Truncated: the full postmortem is \`tourniquet export ${pm.incident.id}\`._`;
  const { data } = await octokit.rest.issues.create({
    owner,
    repo,
    title: `${pm.incident.mode === 'drill' ? '[DRILL] ' : ''}Postmortem: ${pm.incident.title} (${pm.incident.id})`.slice(0, 256),
    body,
    labels: [POSTMORTEM_LABEL],
  });
  return { number: data.number, url: data.html_url, created: true };
}
