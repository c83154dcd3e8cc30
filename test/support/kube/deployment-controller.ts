/**
 * The deployment controller's part, played openly for tests. The test control plane runs only
 * etcd and kube-apiserver: no controller-manager turns a Deployment's new template into a
 * ReplicaSet, and no kubelet makes anything ready, so no status ever changes by itself. This does
 * what kube-controller-manager's deployment controller would, as cluster-admin, with its
 * conventions (pkg/controller/deployment):
 *
 * - a Deployment whose generation it has not observed gets the ReplicaSet of its template: an
 *   existing one with an equal template (the hash label aside), or a new one named
 *   `<deployment>-<pod-template-hash>`, with a controller owner reference, the hash label, and
 *   revision = the highest revision so far + 1 (a reused ReplicaSet is renumbered, its old number
 *   kept in `deployment.kubernetes.io/revision-history`, which is what `kubectl rollout undo` leaves);
 * - that ReplicaSet is scaled to the Deployment's replicas and every other one to 0; the
 *   Deployment's revision annotation follows;
 * - `/status` is written through the status subresource: observedGeneration, replicas, updated,
 *   ready and available replicas and the conditions, as the rollout `behaviour` says: `healthy`
 *   (every replica available), `stuck` (the new replicas never become available),
 *   `progress-deadline` (stuck, and the Progressing condition says ProgressDeadlineExceeded about
 *   the new ReplicaSet) or `stale-deadline` (the new generation is observed but nothing is available
 *   yet, and the Progressing condition is left as it was, lastUpdateTime and all: after rolling back
 *   from a rollout that timed out, the real controller keeps that ProgressDeadlineExceeded, about
 *   the bad ReplicaSet, until it sees the rollback progress). Conditions carry their times.
 *   Status is written only for the generation this pass reconciled: a change that lands mid-pass
 *   is left to the next one, never marked observed unreconciled.
 *
 * `runPods` plays the kubelet for one ReplicaSet: pods that report the image digests they run.
 */
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1DeploymentCondition,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { waitFor } from '../wait';
import { createPod, REVISION_ANNOTATION } from './objects';

export const REVISION = REVISION_ANNOTATION;
const HASH = 'pod-template-hash';
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
]);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type RolloutBehaviour = 'healthy' | 'stuck' | 'progress-deadline' | 'stale-deadline';

export interface RevisionSpec {
  image: string;
  /** pod-template annotations, e.g. the revision's git commit */
  annotations?: Record<string, string>;
}

export interface DeploymentController {
  /** Creates the Deployment (first revision) or rolls out a new template, and waits until this controller has reconciled it. */
  deploy(name: string, revision: RevisionSpec, replicas?: number): Promise<V1Deployment>;
  /** How later rollouts of this Deployment go (default healthy); the current status is rewritten to match. */
  behave(name: string, behaviour: RolloutBehaviour): void;
  /** A controller that lags behind: leaves this Deployment alone (no ReplicaSet, no revision annotation, no status) until called with false. */
  lag(name: string, lagging?: boolean): void;
  /** Generations reconciled per Deployment: a rollback that patched twice would show two. */
  reconciled(name: string): number;
  /** Waits until the controller has observed the Deployment's current generation. */
  settled(name: string): Promise<V1Deployment>;
  replicaSets(name: string): Promise<V1ReplicaSet[]>;
  stop(): Promise<void>;
}

/** JSON with sorted keys and nothing empty: templates that mean the same compare equal. */
function canonical(value: unknown): string {
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length ? v.map(clean) : undefined;
    if (v && typeof v === 'object') {
      const entries = Object.entries(v)
        .map(([k, x]) => [k, clean(x)] as const)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b));
      return entries.length ? Object.fromEntries(entries) : undefined;
    }
    return v === null ? undefined : v;
  };
  return JSON.stringify(clean(v0(value)) ?? {});
}
const v0 = (v: unknown) => JSON.parse(JSON.stringify(v ?? {})) as unknown;

function withoutHash(template: V1PodTemplateSpec | undefined): unknown {
  const copy = v0(template) as { metadata?: { labels?: Record<string, string> } };
  delete copy.metadata?.labels?.[HASH];
  return copy;
}

function templateHash(template: V1PodTemplateSpec | undefined): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256')
    .update(canonical(withoutHash(template)))
    .digest();
  return Array.from(digest.subarray(0, 10), (b) => alphabet[b % alphabet.length]).join('');
}

const revisionOf = (rs: V1ReplicaSet) => Number(rs.metadata?.annotations?.[REVISION] ?? 0);

function podTemplate(app: string, spec: RevisionSpec): V1PodTemplateSpec {
  return {
    metadata: { labels: { app }, ...(spec.annotations ? { annotations: spec.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: spec.image }] },
  };
}

function statusFor(d: V1Deployment, newRs: string, behaviour: RolloutBehaviour): V1Deployment['status'] {
  const replicas = d.spec?.replicas ?? 1;
  const available = behaviour === 'healthy' ? replicas : 0;
  const now = new Date();
  const times = { lastUpdateTime: now, lastTransitionTime: now };
  const updating = {
    type: 'Progressing',
    status: 'True',
    reason: 'ReplicaSetUpdated',
    message: `ReplicaSet "${newRs}" is progressing.`,
    ...times,
  };
  const progressing: V1DeploymentCondition =
    behaviour === 'healthy'
      ? {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${newRs}" has successfully progressed.`,
          ...times,
        }
      : behaviour === 'stuck'
        ? updating
        : behaviour === 'progress-deadline'
          ? {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: `ReplicaSet "${newRs}" has timed out progressing.`,
              ...times,
            }
          : (d.status?.conditions?.find((c) => c.type === 'Progressing') ?? updating);
  return {
    observedGeneration: d.metadata?.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: available,
    availableReplicas: available,
    unavailableReplicas: replicas - available,
    conditions: [
      {
        type: 'Available',
        status: available > 0 ? 'True' : 'False',
        reason: available > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: 'test deployment controller',
        ...times,
      },
      progressing,
    ],
  };
}

export function startDeploymentController(admin: KubeConfig, namespace: string, { intervalMs = 100 } = {}): DeploymentController {
  const apps = admin.makeApiClient(AppsV1Api);
  const behaviours = new Map<string, RolloutBehaviour>();
  const written = new Map<string, RolloutBehaviour>();
  const counts = new Map<string, number>();
  const lagging = new Set<string>();
  /** The last error a pass swallowed (a conflict is expected now and then; a persistent one is a bug), for settled's timeout. */
  let lastError: unknown;
  let stopped = false;

  const owned = async (d: V1Deployment) =>
    (await apps.listNamespacedReplicaSet({ namespace })).items.filter((rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === d.metadata?.uid),
    );

  async function reconcile(d: V1Deployment): Promise<void> {
    const name = d.metadata!.name!;
    if (lagging.has(name)) return;
    const behaviour = behaviours.get(name) ?? 'healthy';
    const generationSeen = (d.metadata?.generation ?? 0) <= (d.status?.observedGeneration ?? 0);
    if (generationSeen && written.get(name) === behaviour) return;
    const replicaSets = await owned(d);
    const maxRevision = Math.max(0, ...replicaSets.map(revisionOf));
    const template = d.spec?.template;
    let reconciledGeneration = d.metadata?.generation;
    let current = replicaSets.find((rs) => canonical(withoutHash(rs.spec?.template)) === canonical(withoutHash(template)));
    if (!generationSeen) {
      const replicas = d.spec?.replicas ?? 1;
      const copied = Object.fromEntries(Object.entries(d.metadata?.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
      const annotations = {
        ...copied,
        'deployment.kubernetes.io/desired-replicas': String(replicas),
        'deployment.kubernetes.io/max-replicas': String(replicas + 1),
      };
      if (!current) {
        const hash = templateHash(template);
        const labels = { ...template?.metadata?.labels, [HASH]: hash };
        current = await apps.createNamespacedReplicaSet({
          namespace,
          body: {
            metadata: {
              name: `${name}-${hash}`,
              labels,
              annotations: { ...annotations, [REVISION]: String(maxRevision + 1) },
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata!.uid!, controller: true, blockOwnerDeletion: true },
              ],
            },
            spec: {
              replicas,
              selector: { matchLabels: { ...d.spec?.selector?.matchLabels, [HASH]: hash } },
              template: { ...template, metadata: { ...template?.metadata, labels } },
            },
          },
        });
      } else {
        const revision = revisionOf(current);
        const renumber = revision < maxRevision;
        const history = [current.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], String(revision)]
          .filter(Boolean)
          .join(',');
        current = await apps.patchNamespacedReplicaSet(
          {
            name: current.metadata!.name!,
            namespace,
            body: {
              metadata: {
                annotations: {
                  ...annotations,
                  ...(renumber ? { [REVISION]: String(maxRevision + 1), 'deployment.kubernetes.io/revision-history': history } : {}),
                },
              },
              spec: { replicas },
            },
          },
          mergePatch,
        );
      }
      for (const old of replicaSets.filter((rs) => rs.metadata?.name !== current!.metadata?.name && (rs.spec?.replicas ?? 0) > 0)) {
        await apps.patchNamespacedReplicaSet({ name: old.metadata!.name!, namespace, body: { spec: { replicas: 0 } } }, mergePatch);
      }
      const revision = current.metadata!.annotations![REVISION]!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (d.metadata?.annotations?.[REVISION] !== revision) {
        const patched = await apps.patchNamespacedDeployment(
          { name, namespace, body: { metadata: { annotations: { [REVISION]: revision } } } },
          mergePatch,
        );
        // An annotation change bumps a Deployment's generation once (the API server's rule): this
        // one is ours. Any more is a change that landed after the list, not reconciled here.
        reconciledGeneration = (d.metadata?.generation ?? 0) + 1;
        if (patched.metadata?.generation !== reconciledGeneration) return;
      }
    }
    const fresh = await apps.readNamespacedDeployment({ name, namespace });
    // A patch between the list and this read is not reconciled: writing observedGeneration for it
    // would claim it was. The next pass takes it. (The status write itself is conditional on
    // fresh's resourceVersion, so nothing can slip in after this read either.)
    if (fresh.metadata?.generation !== reconciledGeneration) return;
    await apps.replaceNamespacedDeploymentStatus({
      name,
      namespace,
      body: { ...fresh, status: statusFor(fresh, current?.metadata?.name ?? '', behaviour) },
    });
    written.set(name, behaviour);
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        for (const d of (await apps.listNamespacedDeployment({ namespace })).items) await reconcile(d);
      } catch (err) {
        // A conflict with a concurrent write (the worker's rollback, say): the next pass sees the new state.
        lastError = err;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();

  const settled = async (name: string) => {
    try {
      return await waitFor(
        `the deployment controller to reconcile ${namespace}/${name}`,
        async () => {
          const d = await apps.readNamespacedDeployment({ name, namespace });
          const behaviour = behaviours.get(name) ?? 'healthy';
          return (d.metadata?.generation ?? 0) <= (d.status?.observedGeneration ?? 0) && written.get(name) === behaviour ? d : undefined;
        },
        { timeoutMs: 20_000 },
      );
    } catch (err) {
      const last = lastError instanceof Error ? lastError.message : lastError === undefined ? undefined : String(lastError);
      throw new Error(`${(err as Error).message}${last ? `; the controller's last error: ${last}` : ''}`, { cause: err });
    }
  };

  return {
    async deploy(name, revision, replicas = 2) {
      const template = podTemplate(name, revision);
      try {
        await apps.readNamespacedDeployment({ name, namespace });
        await apps.patchNamespacedDeployment({ name, namespace, body: { spec: { template } } }, mergePatch);
      } catch {
        await apps.createNamespacedDeployment({
          namespace,
          body: { metadata: { name, labels: { app: name } }, spec: { replicas, selector: { matchLabels: { app: name } }, template } },
        });
      }
      return settled(name);
    },
    behave(name, behaviour) {
      behaviours.set(name, behaviour);
    },
    lag(name, lag = true) {
      if (lag) lagging.add(name);
      else lagging.delete(name);
    },
    reconciled: (name) => counts.get(name) ?? 0,
    settled,
    async replicaSets(name) {
      return owned(await apps.readNamespacedDeployment({ name, namespace }));
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The kubelet's part for one ReplicaSet: running pods whose container statuses report the image digest. */
export async function runPods(
  admin: KubeConfig,
  namespace: string,
  replicaSet: V1ReplicaSet,
  count: number,
  digest: string,
): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  for (let i = 0; i < count; i += 1) {
    const name = `${replicaSet.metadata!.name}-${String.fromCharCode(98 + i)}${'x'.repeat(4)}`;
    const pod = await createPod(admin, namespace, name, { owner: replicaSet });
    const containers = pod.spec!.containers.map((c) => ({
      name: c.name,
      image: c.image!,
      imageID: `${c.image!.replace(/:[^:/]+$/, '')}@${digest}`,
      ready: true,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: new Date() } },
    }));
    await core.replaceNamespacedPodStatus({
      name,
      namespace,
      body: { ...pod, status: { phase: 'Running', containerStatuses: containers } },
    });
  }
}
