/**
 * Evidence for a rollback, read before anything changes: the Deployment (spec and status), its
 * revision history from its ReplicaSets, what each revision runs, and the image digests the
 * current pods actually run (only the kubelet knows a digest: it is in the pods' container
 * statuses, so without running pods it is unknown, and the evidence says so).
 *
 * It also resolves the rollback as `kubectl rollout undo` would — the target revision, or why
 * there is none (unknown revision, no history, a paused Deployment, whatever it runs), or that the
 * Deployment already runs the target's template — so the playbook never asks anyone to approve the
 * impossible.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { EvidenceRequest } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { recordArtifact, type EvidenceStore } from '../evidence';
import { kubeClients, type KubeClients, type KubernetesDeps } from './client';
import { kubeCall } from './errors';
import { FAILURE_TYPES } from '../../workflows/failure-types';
import {
  currentRevisionOf,
  imagesOf,
  ownedReplicaSets,
  pausedRefusal,
  readDeployment,
  resolveTarget,
  revisionHistory,
  sameTemplate,
  selectorString,
  templateDigest,
  type DeploymentRef,
  type Revision,
} from './revisions';

export interface DeploymentHistoryInput extends DeploymentRef {
  /** roll back to this revision; the previous one when absent */
  toRevision?: number;
  /** a pod-template annotation holding each revision's git commit (for GitHub deployment statuses) */
  shaAnnotation?: string;
  /** a person asked to roll back a revision that is itself a rollback (see rollbackOfRollback) */
  undoRollback?: boolean;
}

const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';

/**
 * The current revision re-deployed older ones (the controller keeps their numbers when a rollback
 * reuses a ReplicaSet): rolling back to "the previous revision" then re-deploys what that rollback
 * removed. An alert still firing just after a rollback would do exactly that, so the default target
 * is refused unless a person asked for it; a revision named explicitly is taken as asked for.
 */
function rollbackOfRollback(where: string, currentRevision: number | null, restored: string | null, input: DeploymentHistoryInput) {
  if (!restored || input.toRevision !== undefined || input.undoRollback) return undefined;
  return {
    type: FAILURE_TYPES.RollbackOfRollback,
    message:
      `revision ${currentRevision ?? '?'} of deployment ${where} is itself a rollback (it re-deployed revision ${restored}); rolling it back would re-deploy what that rollback removed: refused. ` +
      'A person who means it starts rollback-deploy with --param undoRollback=true, or names --param toRevision=N',
  };
}

interface RunningImage {
  container: string;
  image: string;
  /** what the kubelet pulled, e.g. registry.example/shop@sha256:…; null until a kubelet reports it */
  imageID: string | null;
}

async function podsOf(k: KubeClients, deployment: V1Deployment): Promise<V1Pod[]> {
  const namespace = deployment.metadata!.namespace!;
  const labelSelector = selectorString(deployment.spec?.selector);
  const list = await kubeCall(`listing the pods of deployment ${namespace}/${deployment.metadata?.name}`, () =>
    k.core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
  );
  return list.items;
}

const controllerOf = (pod: V1Pod) => pod.metadata?.ownerReferences?.find((o) => o.controller)?.name;

function runningImages(pod: V1Pod): RunningImage[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => {
    const status = statuses.find((s) => s.name === c.name);
    return { container: c.name, image: c.image ?? '?', imageID: status?.imageID || null };
  });
}

/** "app=registry.example/shop@sha256:… (2 pods)", or an honest "unknown" with the reason. */
export function digestsSummary(replicaSet: string | undefined, pods: readonly V1Pod[]): string {
  if (!replicaSet) return 'unknown: no ReplicaSet runs the current template yet';
  const mine = pods.filter((p) => controllerOf(p) === replicaSet);
  if (mine.length === 0) return `unknown: ReplicaSet ${replicaSet} has no pods, so no kubelet has reported a digest`;
  const byContainer = new Map<string, Map<string, number>>();
  for (const pod of mine) {
    for (const { container, imageID } of runningImages(pod)) {
      const seen = byContainer.get(container) ?? new Map<string, number>();
      const key = imageID ?? 'not reported yet';
      seen.set(key, (seen.get(key) ?? 0) + 1);
      byContainer.set(container, seen);
    }
  }
  return [...byContainer]
    .map(([container, ids]) => `${container}=${[...ids].map(([id, n]) => `${id} (${n} pod${n === 1 ? '' : 's'})`).join(' / ')}`)
    .join(', ');
}

function describeRevision(r: Revision, shaAnnotation: string | undefined) {
  const rs = r.replicaSet;
  return {
    revision: r.revision,
    replicaSet: rs.metadata?.name,
    created: rs.metadata?.creationTimestamp ?? null,
    replicas: rs.spec?.replicas ?? 0,
    images: imagesOf(rs.spec?.template),
    changeCause: rs.metadata?.annotations?.['kubernetes.io/change-cause'] ?? null,
    ...(shaAnnotation ? { gitSha: shaOf(rs, shaAnnotation) } : {}),
  };
}

const shaOf = (rs: V1ReplicaSet | undefined, annotation: string | undefined): string | null =>
  (annotation && rs?.spec?.template?.metadata?.annotations?.[annotation]) || null;

export function createKubeDeploymentHistoryActivities(deps: { kubernetes: KubernetesDeps | undefined; store: EvidenceStore }) {
  return {
    /**
     * facts: currentRevision, currentReplicaSet, currentTemplate (templateDigest of the Deployment's
     * template: what the approval is for), currentImages, currentDigests, targetRevision,
     * targetReplicaSet, targetImages, paused, alreadyAtTarget, refusal and refusalType (when the
     * rollback cannot happen), currentRestored (the revisions the current one re-deployed, when it
     * was itself a rollback), currentGitSha and targetGitSha (with shaAnnotation)
     */
    async kubeDeploymentHistory(req: EvidenceRequest<DeploymentHistoryInput>): Promise<EvidenceRef> {
      const k = kubeClients(deps.kubernetes);
      const { namespace, deployment: name, toRevision, shaAnnotation } = req.input;
      const where = `${namespace}/${name}`;
      const deployment = await readDeployment(k, req.input);
      const history = revisionHistory(await ownedReplicaSets(k, deployment));
      const pods = await podsOf(k, deployment);
      const template = deployment.spec?.template;
      const current = history.filter((r) => sameTemplate(r.replicaSet.spec?.template, template)).at(-1);
      const resolved = resolveTarget(history, where, toRevision);
      const target = resolved.ok ? resolved.target : undefined;
      const paused = deployment.spec?.paused === true;
      const alreadyAtTarget = target !== undefined && sameTemplate(target.replicaSet.spec?.template, template);
      // kubectl's order: an unknown revision first, then a paused Deployment (even one already
      // running the target: kubectl refuses it before comparing templates), then "already there".
      const currentRevision = currentRevisionOf(deployment, history);
      const restored = current?.replicaSet.metadata?.annotations?.[REVISION_HISTORY] ?? null;
      const refusal = !resolved.ok
        ? { type: resolved.type, message: resolved.message }
        : paused
          ? pausedRefusal(req.input)
          : rollbackOfRollback(where, currentRevision, restored, req.input);
      const currentDigests = digestsSummary(current?.replicaSet.metadata?.name, pods);

      const recorded = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          deployment: { metadata: deployment.metadata, spec: deployment.spec, status: deployment.status },
          revisions: history.map((r) => describeRevision(r, shaAnnotation)),
          current: {
            revision: currentRevision,
            replicaSet: current?.replicaSet.metadata?.name ?? null,
            template: templateDigest(template),
            images: imagesOf(template),
            digests: currentDigests,
          },
          target: target ? describeRevision(target, shaAnnotation) : null,
          rollback: refusal
            ? { refused: refusal.message }
            : alreadyAtTarget
              ? { skipped: 'the current template already matches the target revision' }
              : { planned: true },
          pods: pods.map((p) => ({
            name: p.metadata?.name,
            replicaSet: controllerOf(p) ?? null,
            phase: p.status?.phase ?? null,
            images: runningImages(p),
          })),
          fetchedAt: new Date().toISOString(),
        },
      });
      return {
        ...recorded,
        facts: {
          currentRevision,
          currentReplicaSet: current?.replicaSet.metadata?.name ?? null,
          currentTemplate: templateDigest(template),
          currentImages: imagesOf(template),
          currentDigests,
          // The controller records the old numbers of a ReplicaSet it reused: the current revision undid something.
          currentRestored: restored,
          targetRevision: target?.revision ?? null,
          targetReplicaSet: target?.replicaSet.metadata?.name ?? null,
          targetImages: target ? imagesOf(target.replicaSet.spec?.template) : null,
          paused,
          alreadyAtTarget,
          refusal: refusal?.message ?? null,
          refusalType: refusal?.type ?? null,
          currentGitSha: (shaAnnotation && template?.metadata?.annotations?.[shaAnnotation]) || null,
          targetGitSha: shaOf(target?.replicaSet, shaAnnotation),
        },
      };
    },
  };
}
