/**
 * A bad deploy (an Alertmanager alert, or a person): record the Deployment, its revision history
 * and what it runs, then — behind approval — roll it back exactly as `kubectl rollout undo` does
 * (the previous revision unless one is named; a paused Deployment is refused; nothing happens when
 * it already runs the target's template). Then wait for the rollout (heartbeats, a deadline),
 * verify, and, when a GitHub repository is named, record the bad and the restored revisions'
 * GitHub deployment statuses behind a gate of their own.
 *
 * No compensation: the undo of a rollback is re-deploying the revision the alert was about. When
 * the restored revision does not roll out either, the incident fails saying so, with both
 * revisions in the evidence, and a person decides.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { createGitHubActivities } from '../activities/github';
import type { createKubernetesActivities } from '../activities/kubernetes';
import { definePlaybook, FAILURE_TYPES, lazy } from '../workflows';
import { namespaceName, objectName } from './kubernetes-names';

export const DEFAULT_SHA_ANNOTATION = 'tourniquet.io/git-sha';
/** A worker that dies while the rollout is awaited is noticed this soon; the wait then resumes on another. */
const ROLLOUT_HEARTBEAT = '15s';

/** Built on first use: every workflow evaluates every playbook's module, not only the one it runs (workflows/lazy.ts). */
export const rollbackDeployParams = lazy(() => {
  const githubName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a GitHub owner or repository name');
  /** An annotation key as the API server validates it: an optional DNS-subdomain prefix, a name of at most 63 characters. */
  const annotationKey = z
    .string()
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
      'an annotation key, e.g. tourniquet.io/git-sha',
    );
  return z
    .object({
      namespace: namespaceName(),
      deployment: objectName('deployment'),
      /** roll back to this revision (deployment.kubernetes.io/revision); the previous one when absent */
      toRevision: z.coerce.number().int().positive().optional(),
      /**
       * roll back even though the current revision is itself a rollback (which re-deploys what that
       * rollback removed): only a person may ask for this, never an alert route (personOnlyParams)
       */
      undoRollback: z.boolean().optional(),
      /** the rollout must finish this soon after the rollback, or verification fails */
      rolloutTimeoutSeconds: z.coerce.number().int().min(5).max(3600).default(600),
      /** record GitHub deployment statuses for the bad and the restored revisions */
      github: z
        .object({
          owner: githubName,
          repo: githubName,
          environment: z.string().min(1).max(255),
          /** the pod-template annotation holding each revision's git commit */
          shaAnnotation: annotationKey.default(DEFAULT_SHA_ANNOTATION),
        })
        .strict()
        .optional(),
    })
    .strict();
});

type Activities = ReturnType<typeof createKubernetesActivities> & ReturnType<typeof createGitHubActivities>;

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const revisionNumber = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export const rollbackDeployPlaybook = definePlaybook<Activities>()({
  name: 'rollback-deploy',
  title: (p) => `Roll back deployment ${p.namespace}/${p.deployment}${p.toRevision ? ` to revision ${p.toRevision}` : ''}`,
  description:
    'Records a Deployment and its revision history, rolls it back after approval as kubectl rollout undo does, waits for the rollout, verifies; optionally records GitHub deployment statuses.',
  get params() {
    return rollbackDeployParams();
  },
  defaultPolicy: 'standard',
  personOnlyParams: ['undoRollback'],
  async run(ctx) {
    const { namespace, deployment, toRevision, undoRollback, rolloutTimeoutSeconds, github } = ctx.params;
    const ref = { namespace, deployment };
    const where = `${namespace}/${deployment}`;

    const history = await ctx.evidence(
      `deployment ${where}: spec, status, revision history (ReplicaSets), images and digests`,
      'kubeDeploymentHistory',
      {
        ...ref,
        ...(toRevision !== undefined ? { toRevision } : {}),
        ...(undoRollback ? { undoRollback } : {}),
        ...(github ? { shaAnnotation: github.shaAnnotation } : {}),
      },
    );
    const facts = history.facts ?? {};
    if (facts.refusal) {
      // Nobody is asked to approve what cannot be done: the reason is in the evidence and the outcome.
      throw ApplicationFailure.nonRetryable(text(facts.refusal), text(facts.refusalType) || FAILURE_TYPES.RollbackRefused);
    }
    const fromRevision = revisionNumber(facts.currentRevision);
    const targetRevision = revisionNumber(facts.targetRevision)!;
    const target = { ...ref, toRevision: targetRevision, replicaSet: text(facts.targetReplicaSet) };
    if (facts.alreadyAtTarget === true) {
      // kubectl's "skipped rollback": there is nothing to approve; the check puts it on the timeline.
      await ctx.verify(
        `skipped rollback: deployment ${where} already runs the template of revision ${targetRevision}`,
        'kubeCheckRolledBack',
        target,
      );
      return;
    }

    // As with kubectl, undoing twice re-deploys what the first undo removed: refused by the evidence
    // step unless a person asked for it (undoRollback), and then the approvers are told.
    const reDeployed = text(facts.currentRestored);
    const undoesRollback =
      reDeployed && toRevision === undefined
        ? `; note: revision ${fromRevision ?? '?'} itself re-deployed revision ${reDeployed}, so this undoes that rollback`
        : '';
    const rolledBack = await ctx.destructive({
      name: `Roll back deployment ${where} from revision ${fromRevision ?? '?'} (${text(facts.currentImages)}) to revision ${targetRevision} (${text(facts.targetImages)}), as kubectl rollout undo does${undoesRollback}`,
      activity: 'kubeRollbackDeployment',
      target: `deployments/${where}`,
      // The template the approvers saw: at action time the Deployment must still run exactly it.
      args: { ...ref, fromRevision, fromTemplate: text(facts.currentTemplate), toRevision: targetRevision, replicaSet: target.replicaSet },
      risk: 'high',
    });
    // The target ReplicaSet and the patch's time tell this rollout's ProgressDeadlineExceeded from a
    // stale one of the bad rollout, which the controller keeps until the rollback progresses.
    const patchedAt = typeof rolledBack.details?.patchedAt === 'string' ? rolledBack.details.patchedAt : null;
    await ctx.verify(
      `rollout of deployment ${where}`,
      'kubeAwaitRollout',
      { ...ref, timeoutSeconds: rolloutTimeoutSeconds, replicaSet: target.replicaSet, patchedAt },
      {
        // Past the activity's own deadline, so running out of time is a failed verification, not a timeout.
        timeout: `${rolloutTimeoutSeconds + 60}s`,
        heartbeat: ROLLOUT_HEARTBEAT,
      },
    );
    await ctx.verify(`deployment ${where} runs the template of revision ${targetRevision}`, 'kubeCheckRolledBack', target);
    if (!github) return;

    const { owner, repo, environment } = github;
    const found = await ctx.evidence(
      `GitHub deployments of revisions ${fromRevision ?? '?'} and ${targetRevision} in ${owner}/${repo} (${environment})`,
      'githubRevisionDeployments',
      {
        owner,
        repo,
        environment,
        bad: { revision: fromRevision, sha: text(facts.currentGitSha) || null },
        restored: { revision: targetRevision, sha: text(facts.targetGitSha) || null },
      },
    );
    const deployments = found.facts ?? {};
    const restored =
      typeof deployments.restoredDeployment === 'number'
        ? { deployment: deployments.restoredDeployment, sha: text(deployments.restoredSha) }
        : null;
    // Both revisions built from one commit are one GitHub deployment: it gets the restored one's
    // `success` only, never a contradicting `failure` too (the evidence says so).
    const bad =
      typeof deployments.badDeployment === 'number' && deployments.badDeployment !== restored?.deployment
        ? { deployment: deployments.badDeployment, sha: text(deployments.badSha) }
        : null;
    if (!bad && !restored) return; // the evidence says why neither revision has a GitHub deployment

    const plan = [
      bad && `deployment #${bad.deployment} (revision ${fromRevision ?? '?'}) failure`,
      restored && `deployment #${restored.deployment} (revision ${targetRevision}) success`,
    ].filter(Boolean);
    try {
      await ctx.destructive({
        name: `Record the rollback on GitHub ${owner}/${repo} (${environment}): ${plan.join('; ')}`,
        activity: 'githubRecordRollback',
        target: `${owner}/${repo}/environments/${environment}`,
        args: { owner, repo, environment, fromRevision, toRevision: targetRevision, bad, restored },
        risk: 'low',
      });
    } catch (err) {
      // The rollback stands either way: declining the bookkeeping only leaves GitHub as it was.
      if (err instanceof ApplicationFailure && err.type === FAILURE_TYPES.ApprovalDenied) return;
      throw err;
    }
  },
});
