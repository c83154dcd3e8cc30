/**
 * A Deployment's revision history the way `kubectl rollout undo` reads it (kubectl's
 * pkg/polymorphichelpers/rollback.go): the ReplicaSets the Deployment controls (by controller
 * owner reference, not just by label), each revision number taken from its
 * `deployment.kubernetes.io/revision` annotation, and its pod template with the controller's
 * `pod-template-hash` label removed — which is what gets patched back into the Deployment.
 */
import type { V1Deployment, V1LabelSelector, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
// The generated serializer turns the client's model objects back into the API's JSON (what a
// patch must carry and what "the same template" means); the package index does not re-export it.
import { createHash } from 'node:crypto';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { KubeClients } from './client';
import { kubeCall } from './errors';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * kubectl's annotationsToSkip: the Deployment keeps its own values of these, every other annotation
 * is taken from the ReplicaSet of the target revision.
 */
export const ANNOTATIONS_KEPT_FROM_DEPLOYMENT = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
] as const;

export interface DeploymentRef {
  namespace: string;
  deployment: string;
}

export interface Revision {
  revision: number;
  replicaSet: V1ReplicaSet;
}

export async function readDeployment(k: KubeClients, ref: DeploymentRef): Promise<V1Deployment> {
  return kubeCall(`reading deployment ${ref.namespace}/${ref.deployment}`, () =>
    k.apps.readNamespacedDeployment({ name: ref.deployment, namespace: ref.namespace }),
  );
}

/** kubectl's refusal of a paused Deployment, the same at the evidence step and at action time. */
export function pausedRefusal({ namespace, deployment }: DeploymentRef): { type: typeof FAILURE_TYPES.DeploymentPaused; message: string } {
  return {
    type: FAILURE_TYPES.DeploymentPaused,
    message: `deployment ${namespace}/${deployment} is paused: a paused deployment cannot be rolled back; resume it first (kubectl rollout resume deployment/${deployment} -n ${namespace})`,
  };
}

/** A label selector as the `labelSelector` query parameter spells it. */
export function selectorString(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** The ReplicaSets this Deployment controls: selected by its selector and owned by its UID. */
export async function ownedReplicaSets(k: KubeClients, deployment: V1Deployment): Promise<V1ReplicaSet[]> {
  const namespace = deployment.metadata!.namespace!;
  const uid = deployment.metadata?.uid;
  const labelSelector = selectorString(deployment.spec?.selector);
  const list = await kubeCall(`listing the ReplicaSets of deployment ${namespace}/${deployment.metadata?.name}`, () =>
    k.apps.listNamespacedReplicaSet({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
  );
  return list.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid));
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number | undefined {
  const raw = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** Oldest first; ReplicaSets without a readable revision are not part of the history (kubectl skips them too). */
export function revisionHistory(replicaSets: readonly V1ReplicaSet[]): Revision[] {
  return replicaSets
    .flatMap((replicaSet) => {
      const revision = revisionOf(replicaSet);
      return revision === undefined ? [] : [{ revision, replicaSet }];
    })
    .sort((a, b) => a.revision - b.revision);
}

/** The revision a Deployment is at: the controller's annotation on it, else the newest ReplicaSet running its template. */
export function currentRevisionOf(deployment: V1Deployment, history: readonly Revision[]): number | null {
  return (
    revisionOf(deployment) ??
    history.filter((r) => sameTemplate(r.replicaSet.spec?.template, deployment.spec?.template)).at(-1)?.revision ??
    null
  );
}

export type TargetResolution =
  | { ok: true; target: Revision }
  | { ok: false; type: typeof FAILURE_TYPES.RevisionNotFound | typeof FAILURE_TYPES.NoRolloutHistory; message: string };

/**
 * kubectl's deploymentRevision: the given revision, or the second newest one in the history.
 * Its messages, with the Deployment named.
 */
export function resolveTarget(history: readonly Revision[], where: string, toRevision?: number): TargetResolution {
  if (toRevision !== undefined) {
    const target = history.find((r) => r.revision === toRevision);
    if (target) return { ok: true, target };
    const known = history.map((r) => r.revision).join(', ') || 'none';
    return {
      ok: false,
      type: FAILURE_TYPES.RevisionNotFound,
      message: `unable to find specified revision ${toRevision} in the history of deployment ${where} (revisions: ${known})`,
    };
  }
  const previous = history.at(-2);
  if (!previous)
    return {
      ok: false,
      type: FAILURE_TYPES.NoRolloutHistory,
      message: `no rollout history found for deployment ${where}: nothing to roll back to`,
    };
  return { ok: true, target: previous };
}

/** The template as the API's JSON, without the controller's hash label: what kubectl patches back. */
export function templateForPatch(template: V1PodTemplateSpec | undefined): Record<string, any> {
  const json = structuredClone(ObjectSerializer.serialize(template ?? {}, 'V1PodTemplateSpec', '')) as Record<string, any>;
  const labels = json.metadata?.labels as Record<string, string> | undefined;
  if (labels) delete labels[POD_TEMPLATE_HASH_LABEL];
  return json;
}

/** null, undefined, {} and [] say nothing: gone, as Go's semantic equality treats empty and nil alike. */
function normalised(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalised);
    return items.length ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, normalised(v)] as const)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === null ? undefined : value;
}

/** kubectl's equalIgnoreHash: the two templates are the same once the hash label is gone. */
export function sameTemplate(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return JSON.stringify(normalised(templateForPatch(a))) === JSON.stringify(normalised(templateForPatch(b)));
}

/**
 * A digest of the template as sameTemplate compares it (hash label aside, empty values gone): two
 * templates have the same digest exactly when sameTemplate says they are the same.
 */
export function templateDigest(template: V1PodTemplateSpec | undefined): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(normalised(templateForPatch(template)) ?? {}))
    .digest('hex')}`;
}

/** "app=registry.example/shop:2, proxy=envoy:1.30": what a template runs, for people to read. */
export function imagesOf(template: V1PodTemplateSpec | undefined): string {
  const containers = [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])];
  return containers.map((c) => `${c.name}=${c.image ?? '?'}`).join(', ');
}

/** The Deployment's annotations after the rollback, computed as kubectl computes them. */
export function annotationsAfterRollback(deployment: V1Deployment, replicaSet: V1ReplicaSet): Record<string, string> {
  const kept = new Set<string>(ANNOTATIONS_KEPT_FROM_DEPLOYMENT);
  const current = deployment.metadata?.annotations ?? {};
  const annotations: Record<string, string> = {};
  for (const key of kept) if (current[key] !== undefined) annotations[key] = current[key];
  for (const [key, value] of Object.entries(replicaSet.metadata?.annotations ?? {})) if (!kept.has(key)) annotations[key] = value;
  return annotations;
}

/**
 * kubectl's getDeploymentPatch (a JSON patch replacing the template and the annotations), made
 * conditional: it also sets the resourceVersion that was read, so a Deployment changed in between
 * answers 409 Conflict (retried, and the retry decides afresh) instead of being overwritten.
 */
export function rollbackPatch(deployment: V1Deployment, replicaSet: V1ReplicaSet): object[] {
  return [
    { op: 'replace', path: '/metadata/resourceVersion', value: deployment.metadata?.resourceVersion },
    { op: 'replace', path: '/spec/template', value: templateForPatch(replicaSet.spec?.template) },
    // `replace` needs the member to exist; `add` sets or replaces it (RFC 6902), for a Deployment without annotations.
    {
      op: deployment.metadata?.annotations ? 'replace' : 'add',
      path: '/metadata/annotations',
      value: annotationsAfterRollback(deployment, replicaSet),
    },
  ];
}
