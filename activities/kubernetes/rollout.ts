/**
 * After a rollback: waiting for the rollout the way `kubectl rollout status` judges it (kubectl's
 * DeploymentStatusViewer), and checking the Deployment really runs the target revision's template.
 *
 * The wait polls, heartbeating each time, so a worker that dies mid-wait is noticed within the
 * heartbeat timeout and another attempt carries on. The deadline counts from the first attempt's
 * start (kept in the heartbeat details), so a retry does not get a fresh allowance. Running out of
 * time, or the controller reporting ProgressDeadlineExceeded for this rollout, is a failed
 * verification (the incident says so), not an activity error to retry.
 *
 * After rolling back from a rollout that timed out, the controller keeps that Progressing condition
 * (ProgressDeadlineExceeded, about the bad ReplicaSet) until it sees the rollback progress: that one
 * is stale, not this rollout's. It is final only when it is about the target ReplicaSet
 * (`ReplicaSet "<name>" has timed out progressing.`) or was updated after the rollback patch;
 * otherwise the wait goes on, to its deadline.
 */
import type { V1Deployment, V1DeploymentCondition } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { VerifyRequest, VerifyResult } from '../../workflows/contracts';
import { kubeClients, type KubernetesDeps } from './client';
import {
  currentRevisionOf,
  imagesOf,
  ownedReplicaSets,
  readDeployment,
  revisionHistory,
  sameTemplate,
  type DeploymentRef,
} from './revisions';

export interface AwaitRolloutInput extends DeploymentRef, RolloutScope {
  /** give up (verification fails) when the rollout has not finished this long after the wait began */
  timeoutSeconds: number;
}

/** Which rollout is awaited: a ProgressDeadlineExceeded about another one is stale. */
export interface RolloutScope {
  /** the ReplicaSet rolled out (the rollback's target) */
  replicaSet?: string;
  /** when the rollback patch was sent (ISO), when known */
  patchedAt?: string | null;
}

export interface RolledBackInput extends DeploymentRef {
  toRevision: number;
  replicaSet: string;
}

const POLL_MS = 1_000;

interface WaitProgress {
  startedAt: number;
  polls: number;
  status: string;
}

export type RolloutState = { done: true; message: string } | { done: false; failed: boolean; message: string };

/**
 * Whether a ProgressDeadlineExceeded condition is this rollout's: about its ReplicaSet, or updated
 * after the patch (in whole seconds, as the API keeps times: same second as the patch is not after).
 * Without a scope, any is (kubectl's rule).
 */
function deadlineIsFinal(condition: V1DeploymentCondition, scope: RolloutScope): boolean {
  if (!scope.replicaSet && !scope.patchedAt) return true;
  if (scope.replicaSet && condition.message?.startsWith(`ReplicaSet "${scope.replicaSet}" has timed out progressing`)) return true;
  if (!scope.patchedAt || !condition.lastUpdateTime) return false;
  const patched = Math.floor(Date.parse(scope.patchedAt) / 1000) * 1000;
  return new Date(condition.lastUpdateTime).getTime() > patched;
}

/**
 * kubectl's DeploymentStatusViewer.Status, as a value: done, still waiting (and why), or failed —
 * except that a ProgressDeadlineExceeded left over from an earlier rollout (see deadlineIsFinal) is
 * not taken as this one's failure.
 */
export function rolloutState(d: V1Deployment, scope: RolloutScope = {}): RolloutState {
  const name = `deployment ${d.metadata?.namespace}/${d.metadata?.name}`;
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { done: false, failed: false, message: `waiting for ${name}'s spec update to be observed` };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded' && deadlineIsFinal(progressing, scope)) {
    return {
      done: false,
      failed: true,
      message: `${name} exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}`,
    };
  }
  const wanted = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < wanted)
    return { done: false, failed: false, message: `${updated} out of ${wanted} new replicas of ${name} have been updated` };
  const total = status.replicas ?? 0;
  if (total > updated) return { done: false, failed: false, message: `${total - updated} old replicas of ${name} are pending termination` };
  const available = status.availableReplicas ?? 0;
  if (available < updated)
    return { done: false, failed: false, message: `${available} of ${updated} updated replicas of ${name} are available` };
  return { done: true, message: `${name} successfully rolled out (${available} of ${wanted} replicas available)` };
}

export function createKubeRolloutActivities(deps: { kubernetes: KubernetesDeps | undefined }) {
  return {
    async kubeAwaitRollout(req: VerifyRequest<AwaitRolloutInput>): Promise<VerifyResult> {
      const { namespace, deployment, timeoutSeconds, replicaSet, patchedAt } = req.input;
      const where = `deployment ${namespace}/${deployment}`;
      if (req.mode === 'drill') {
        return {
          ok: true,
          summary: `DRILL: ${where} was not changed, so nothing rolls out; its rollout would be awaited for up to ${timeoutSeconds}s`,
          details: { dryRun: true },
        };
      }
      const k = kubeClients(deps.kubernetes);
      const ctx = Context.current();
      const earlier = ctx.info.heartbeatDetails as WaitProgress | undefined;
      const startedAt = earlier?.startedAt ?? Date.now();
      const deadline = startedAt + timeoutSeconds * 1000;
      let polls = earlier?.polls ?? 0;
      for (;;) {
        const state = rolloutState(await readDeployment(k, req.input), { replicaSet, patchedAt });
        polls += 1;
        const progress: WaitProgress = { startedAt, polls, status: state.message };
        ctx.heartbeat(progress);
        const details = { waitedMs: Date.now() - startedAt, polls, resumed: earlier !== undefined };
        if (state.done) return { ok: true, summary: state.message, details };
        if (state.failed) return { ok: false, summary: state.message, details };
        if (Date.now() >= deadline) {
          return { ok: false, summary: `${where} did not finish rolling out within ${timeoutSeconds}s: ${state.message}`, details };
        }
        // Rejects when the activity is cancelled (the incident was), ending the wait.
        await ctx.sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      }
    },

    async kubeCheckRolledBack(req: VerifyRequest<RolledBackInput>): Promise<VerifyResult> {
      const k = kubeClients(deps.kubernetes);
      const { namespace, deployment: name, toRevision, replicaSet } = req.input;
      const where = `deployment ${namespace}/${name}`;
      const deployment = await readDeployment(k, req.input);
      const replicaSets = await ownedReplicaSets(k, deployment);
      const target = replicaSets.find((rs) => rs.metadata?.name === replicaSet);
      const revision = currentRevisionOf(deployment, revisionHistory(replicaSets));
      const images = imagesOf(deployment.spec?.template);
      const details = { revision, replicaSet, images };
      const runsTarget = target !== undefined && sameTemplate(target.spec?.template, deployment.spec?.template);
      if (!runsTarget && req.mode === 'drill') {
        return {
          ok: true,
          summary: `DRILL: ${where} was not changed (dry run); it still runs ${images}`,
          details: { ...details, dryRun: true },
        };
      }
      if (!target)
        return { ok: false, summary: `ReplicaSet ${replicaSet} of revision ${toRevision} is gone from the history of ${where}`, details };
      if (!runsTarget)
        return { ok: false, summary: `${where} does not run the template of revision ${toRevision}: it runs ${images}`, details };
      const rollout = rolloutState(deployment, { replicaSet });
      if (!rollout.done)
        return { ok: false, summary: `${where} runs the template of revision ${toRevision} but ${rollout.message}`, details };
      return {
        ok: true,
        summary: `${where} runs the template of revision ${toRevision} (ReplicaSet ${replicaSet}, now revision ${revision ?? 'unknown'}): ${images}; ${rollout.message}`,
        details,
      };
    },
  };
}
