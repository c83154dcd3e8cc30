/**
 * Rolling a Deployment back, exactly as `kubectl rollout undo` does it: the target revision's pod
 * template (hash label removed) and annotations go back into the Deployment with one JSON patch,
 * and the deployment controller rolls it out (reusing that ReplicaSet, which becomes the newest
 * revision). A paused Deployment is refused; one already running the target's template is left
 * alone ("skipped rollback").
 *
 * What was approved names the target ReplicaSet, not just its revision number: once the rollback
 * lands, the controller renumbers that ReplicaSet, so a retry after a crash finds it by name, sees
 * the Deployment already runs its template, and does not patch again; since that ReplicaSet is
 * numbered above the revision approved from, it reports the rollback as done (changed) by this
 * incident, not as a "skipped rollback". If the Deployment moved since
 * the approval (someone rolled out a fix meanwhile), nothing is done: the approvers did not see
 * that. "Moved" is judged by the Deployment's own template against the digest of the one the
 * approvers saw, not by its revision annotation, which only the controller updates (a template
 * pushed while the controller lags would pass that) and which may be missing. In drill mode the
 * patch is a server-side dry run.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionResult, ApprovedAction } from '../../workflows/contracts';
import { approvedAction } from '../approved-action';
import { kubeClients, type KubernetesDeps } from './client';
import { kubeCall } from './errors';
import {
  currentRevisionOf,
  imagesOf,
  ownedReplicaSets,
  pausedRefusal,
  readDeployment,
  revisionHistory,
  revisionOf,
  rollbackPatch,
  sameTemplate,
  templateDigest,
  type DeploymentRef,
} from './revisions';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export interface RollbackArgs extends DeploymentRef {
  /** the revision the approvers saw the Deployment at (its deployment.kubernetes.io/revision) */
  fromRevision: number | null;
  toRevision: number;
  /** the ReplicaSet holding the target revision's template */
  replicaSet: string;
  /** templateDigest of the Deployment's template as the approvers saw it (absent in approvals from before it was recorded) */
  fromTemplate?: string;
}

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export function createKubeRollbackActivities(deps: { kubernetes: KubernetesDeps | undefined }) {
  return {
    kubeRollbackDeployment: approvedAction<RollbackArgs>(async (req: ApprovedAction<RollbackArgs>): Promise<ActionResult> => {
      const k = kubeClients(deps.kubernetes);
      const { namespace, deployment: name, toRevision, fromRevision } = req.args;
      const where = `${namespace}/${name}`;
      const deployment = await readDeployment(k, req.args);
      const replicaSets = await ownedReplicaSets(k, deployment);
      const target = replicaSets.find((rs) => rs.metadata?.name === req.args.replicaSet);
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          `ReplicaSet ${req.args.replicaSet} (revision ${toRevision}) is no longer in the history of deployment ${where}: nothing done`,
          FAILURE_TYPES.RevisionNotFound,
        );
      }
      const images = imagesOf(target.spec?.template);
      const details = {
        dryRun: req.dryRun,
        fromRevision,
        toRevision,
        replicaSet: req.args.replicaSet,
        images,
        imagesBefore: imagesOf(deployment.spec?.template),
      };
      if (sameTemplate(target.spec?.template, deployment.spec?.template)) {
        // Renumbered above the revision approved from: this incident's patch landed (the controller
        // renumbers the ReplicaSet a rollback reuses) and this is a retry; the rollback is this
        // incident's, and the timeline must say so, not "nothing changed".
        const renumbered = revisionOf(target);
        if (!req.dryRun && fromRevision !== null && renumbered !== undefined && renumbered > fromRevision) {
          return {
            summary: `Rolled back deployment ${where} from revision ${fromRevision} to revision ${toRevision} (${images}), approved by ${req.approval.approvers.join(', ')}; the patch had landed before this retry (ReplicaSet ${req.args.replicaSet} is revision ${renumbered} now)`,
            changed: true,
            details: { ...details, landedBefore: true, revisionNow: renumbered, patchedAt: null },
          };
        }
        return {
          summary: `skipped rollback: deployment ${where} already runs the template of revision ${toRevision} (${images})`,
          changed: false,
          details,
        };
      }
      // After "already there", unlike kubectl and the evidence step: a retry of a rollback that
      // landed before someone paused the Deployment is done, not refused.
      if (deployment.spec?.paused) {
        const { message, type } = pausedRefusal(req.args);
        throw ApplicationFailure.nonRetryable(message, type);
      }
      const now = currentRevisionOf(deployment, revisionHistory(replicaSets));
      const moved =
        req.args.fromTemplate !== undefined ? templateDigest(deployment.spec?.template) !== req.args.fromTemplate : now !== fromRevision;
      if (moved) {
        throw ApplicationFailure.nonRetryable(
          `deployment ${where} changed since the approval: it runs ${details.imagesBefore} now (revision ${now ?? 'unknown'}), not the approved template of revision ${fromRevision ?? 'unknown'}: nothing done (start a new incident to roll back from there)`,
          FAILURE_TYPES.DeploymentChanged,
        );
      }
      const body = rollbackPatch(deployment, target);
      // A ProgressDeadlineExceeded updated after this is the rollback's own (see rollout.ts).
      const patchedAt = new Date().toISOString();
      const patched = await kubeCall(`rolling back deployment ${where} to revision ${toRevision}`, () =>
        k.apps.patchNamespacedDeployment({ name, namespace, body, dryRun: req.dryRun ? 'All' : undefined }, jsonPatch),
      );
      const said = `roll back deployment ${where} from revision ${fromRevision ?? 'unknown'} to revision ${toRevision} (${images})`;
      if (req.dryRun) return { summary: `DRILL: would ${said}; the API server accepted the patch as a dry run`, changed: false, details };
      return {
        summary: `Rolled back deployment ${where} from revision ${fromRevision ?? 'unknown'} to revision ${toRevision} (${images}), approved by ${req.approval.approvers.join(', ')}`,
        changed: true,
        details: { ...details, generation: patched.metadata?.generation ?? null, patchedAt },
      };
    }),
  };
}
