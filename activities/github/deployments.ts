/**
 * GitHub deployment statuses for a Kubernetes rollback: the deployment of the revision rolled
 * back from is marked `failure`, the deployment of the revision restored `success` — so the
 * repository's environment page shows what really runs.
 *
 * Revisions map to GitHub deployments by commit: each revision's pod template carries its commit
 * in an annotation (the playbook's `shaAnnotation`), and the newest deployment of the environment
 * whose `sha` starts with it is the one. Nothing is created: a new GitHub deployment can trigger
 * deployment workflows, which is the opposite of a rollback. A revision without a deployment is
 * left out, and the evidence says why.
 *
 * When the bad and the restored revisions were built from the same commit (a bad deploy that only
 * changed configuration), both resolve to the same GitHub deployment: it is marked `success` only
 * (it runs again now), never `failure` and then `success`, and the evidence says why.
 *
 * Idempotent: a deployment that already carries a status of this incident with the same state (any
 * of its statuses, not only the newest: the other revision's status or GitHub's `inactive` may have
 * come after it) is not given another. In drill mode the statuses are reported as "would record",
 * never sent.
 */
import type { ActionResult, ApprovedAction, EvidenceRequest } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { approvedAction } from '../approved-action';
import { recordArtifact, type EvidenceStore } from '../evidence';
import { requireGitHub, type GitHubDeps } from './deps';
import { githubCall } from './errors';

export interface RepoEnvironment {
  owner: string;
  repo: string;
  environment: string;
}

export interface RevisionCommit {
  revision: number | null;
  sha: string | null;
}

export interface RevisionDeploymentsInput extends RepoEnvironment {
  /** the revision rolled back from */
  bad: RevisionCommit;
  /** the revision restored */
  restored: RevisionCommit;
}

export interface StatusTarget {
  deployment: number;
  sha: string;
}

export interface RecordRollbackArgs extends RepoEnvironment {
  fromRevision: number | null;
  toRevision: number;
  /** the deployment of the revision rolled back from: marked `failure` */
  bad: StatusTarget | null;
  /** the deployment of the revision restored: marked `success` */
  restored: StatusTarget | null;
}

/** GitHub keeps deployment status descriptions to 140 characters. */
const MAX_DESCRIPTION = 140;
/** Short commit ids below this length match too much to pick a deployment by. */
const MIN_SHA = 7;
const DEPLOYMENTS_SEARCHED = 100;

const marker = (incidentId: string) => `Tourniquet incident ${incidentId}`;
const short = (sha: string) => sha.slice(0, 12);

interface FoundDeployment {
  id: number;
  sha: string;
  ref: string;
  createdAt: string;
  latestState: string | null;
}

export function createGitHubDeploymentActivities(deps: { github: GitHubDeps | undefined; store: EvidenceStore }) {
  const latestStatus = async (github: GitHubDeps, where: RepoEnvironment, deploymentId: number) => {
    const { data } = await githubCall(`list the statuses of deployment ${deploymentId} in ${where.owner}/${where.repo}`, () =>
      github.clients.api.rest.repos.listDeploymentStatuses({
        owner: where.owner,
        repo: where.repo,
        deployment_id: deploymentId,
        per_page: 10,
      }),
    );
    // GitHub lists a deployment's statuses newest first.
    return data[0];
  };
  /** Every status of the deployment, every page. */
  const allStatuses = async (github: GitHubDeps, where: RepoEnvironment, deploymentId: number) =>
    githubCall(`list the statuses of deployment ${deploymentId} in ${where.owner}/${where.repo}`, () =>
      github.clients.api.paginate(github.clients.api.rest.repos.listDeploymentStatuses, {
        owner: where.owner,
        repo: where.repo,
        deployment_id: deploymentId,
        per_page: 100,
      }),
    );

  return {
    /**
     * facts: badDeployment, restoredDeployment (ids or null), badState, restoredState (their newest
     * status), missing (why one is null), sameDeployment (the id, when both revisions' commit is the
     * same deployment: then only restoredDeployment is set)
     */
    async githubRevisionDeployments(req: EvidenceRequest<RevisionDeploymentsInput>): Promise<EvidenceRef> {
      const github = requireGitHub(deps.github);
      const { owner, repo, environment } = req.input;
      const { data: deployments } = await githubCall(`list the deployments of ${owner}/${repo} in ${environment}`, () =>
        github.clients.api.rest.repos.listDeployments({ owner, repo, environment, per_page: DEPLOYMENTS_SEARCHED }),
      );
      const missing: string[] = [];
      const find = async (role: 'bad' | 'restored', commit: RevisionCommit): Promise<FoundDeployment | null> => {
        const label = `revision ${commit.revision ?? '?'} (${role === 'bad' ? 'rolled back from' : 'restored'})`;
        const sha = commit.sha?.trim().toLowerCase();
        if (!sha) {
          missing.push(`${label} names no commit`);
          return null;
        }
        if (sha.length < MIN_SHA) {
          missing.push(`${label} names commit "${sha}", too short to pick a deployment by (at least ${MIN_SHA} characters)`);
          return null;
        }
        // Newest first, as GitHub lists them: a commit deployed twice is its latest deployment.
        const match = deployments.find((d) => d.sha.toLowerCase().startsWith(sha));
        if (!match) {
          missing.push(`${label}: no deployment of commit ${short(sha)} among the ${DEPLOYMENTS_SEARCHED} newest in ${environment}`);
          return null;
        }
        const latest = await latestStatus(github, req.input, match.id);
        return { id: match.id, sha: match.sha, ref: match.ref, createdAt: match.created_at, latestState: latest?.state ?? null };
      };
      const foundBad = await find('bad', req.input.bad);
      const restored = await find('restored', req.input.restored);
      // One deployment for both (a config-only bad deploy): `failure` then `success` on it would
      // contradict each other, and it runs again now, so it is only marked `success`.
      const sameDeployment = foundBad && restored && foundBad.id === restored.id ? restored.id : null;
      if (sameDeployment !== null) {
        missing.push(
          `revision ${req.input.bad.revision ?? '?'} (rolled back from) and revision ${req.input.restored.revision ?? '?'} (restored) are both commit ${short(restored!.sha)}, ` +
            `deployment #${sameDeployment}: it runs again, so it is marked success only, not failure too`,
        );
      }
      const bad = sameDeployment === null ? foundBad : null;
      const recorded = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          repository: `${owner}/${repo}`,
          environment,
          bad: { ...req.input.bad, deployment: bad },
          sameDeployment,
          restored: { ...req.input.restored, deployment: restored },
          missing,
          searched: deployments.length,
          fetchedAt: new Date().toISOString(),
        },
      });
      return {
        ...recorded,
        facts: {
          badDeployment: bad?.id ?? null,
          restoredDeployment: restored?.id ?? null,
          badSha: bad?.sha ?? null,
          restoredSha: restored?.sha ?? null,
          badState: bad?.latestState ?? null,
          restoredState: restored?.latestState ?? null,
          missing: missing.join('; ') || null,
          sameDeployment,
        },
      };
    },

    githubRecordRollback: approvedAction(async (req: ApprovedAction<RecordRollbackArgs>): Promise<ActionResult> => {
      const github = requireGitHub(deps.github);
      const { owner, repo, environment, fromRevision, toRevision } = req.args;
      const link = github.incidentUrl?.(req.incidentId);
      const record = async (target: StatusTarget, revision: number | null, state: 'failure' | 'success', description: string) => {
        const what = `deployment #${target.deployment} (revision ${revision ?? '?'}, ${short(target.sha)}) ${state}`;
        const statuses = await allStatuses(github, req.args, target.deployment);
        if (statuses.some((s) => s.state === state && s.description?.includes(marker(req.incidentId))))
          return { said: `${what} was already recorded`, changed: false };
        if (req.dryRun) return { said: `would record ${what}`, changed: false };
        await githubCall(`record status ${state} on deployment ${target.deployment} in ${owner}/${repo}`, () =>
          github.clients.api.rest.repos.createDeploymentStatus({
            owner,
            repo,
            deployment_id: target.deployment,
            state,
            description: description.slice(0, MAX_DESCRIPTION),
            ...(link ? { log_url: link } : {}),
          }),
        );
        return { said: `recorded ${what}`, changed: true };
      };
      const done = [];
      // The bad one first: a `success` makes GitHub mark the environment's earlier successful deployments inactive.
      const same = req.args.bad && req.args.restored && req.args.bad.deployment === req.args.restored.deployment;
      if (req.args.bad && same) {
        done.push({ said: `deployment #${req.args.bad.deployment} is also the restored revision's: not marked failure`, changed: false });
      } else if (req.args.bad) {
        done.push(
          await record(req.args.bad, fromRevision, 'failure', `Rolled back to revision ${toRevision} by ${marker(req.incidentId)}`),
        );
      }
      if (req.args.restored) {
        done.push(
          await record(
            req.args.restored,
            toRevision,
            'success',
            `Restored by ${marker(req.incidentId)} (rollback from revision ${fromRevision ?? '?'})`,
          ),
        );
      }
      const said = `GitHub ${owner}/${repo} (${environment}): ${done.map((d) => d.said).join('; ') || 'nothing to record'}`;
      return {
        summary: req.dryRun ? `DRILL: ${said}` : `${said} (approved by ${req.approval.approvers.join(', ')})`,
        changed: done.some((d) => d.changed),
        details: { recorded: done.filter((d) => d.changed).length, ...(req.dryRun ? { dryRun: true } : {}) },
      };
    }),
  };
}
