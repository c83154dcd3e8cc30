/**
 * Evidence of a suspect pod, read before anything changes: the pod (spec and status), who owns it
 * (ReplicaSet → Deployment), its node, recent logs per container, its events, and what reaches it
 * on the network: the NetworkPolicies and Services that select it.
 */
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { EvidenceRequest } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { recordArtifact, type EvidenceStore } from '../evidence';
import { kubeClients, type KubeClients, type KubernetesDeps } from './client';
import { classifyKubeError, kubeCall } from './errors';
import { policiesSelecting, servicesSelecting } from './selectors';

export interface PodRef {
  namespace: string;
  pod: string;
}

const LOG_LINES = 500;

export async function readPod(k: KubeClients, ref: PodRef): Promise<V1Pod> {
  return kubeCall(`reading pod ${ref.namespace}/${ref.pod}`, () => k.core.readNamespacedPod({ name: ref.pod, namespace: ref.namespace }));
}

/** The controller chain up to the top (a Deployment, a StatefulSet...); only ReplicaSets are followed further. */
async function ownerChain(k: KubeClients, namespace: string, pod: V1Pod): Promise<V1OwnerReference[]> {
  const chain: V1OwnerReference[] = [];
  let owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  while (owner) {
    chain.push(owner);
    if (owner.kind !== 'ReplicaSet' || chain.length > 5) break;
    const name = owner.name;
    const rs = await kubeCall(`reading ReplicaSet ${namespace}/${name}`, () => k.apps.readNamespacedReplicaSet({ name, namespace }));
    owner = rs.metadata?.ownerReferences?.find((o) => o.controller);
  }
  return chain;
}

/** Logs are best effort: a container that never ran has none, and that is itself worth recording. */
async function containerLogs(k: KubeClients, ref: PodRef, pod: V1Pod): Promise<Record<string, string>> {
  const logs: Record<string, string> = {};
  for (const c of pod.spec?.containers ?? []) {
    try {
      const text = await k.core.readNamespacedPodLog({ name: ref.pod, namespace: ref.namespace, container: c.name, tailLines: LOG_LINES });
      logs[c.name] = typeof text === 'string' ? text : '';
    } catch (err) {
      logs[c.name] = `(no logs: ${classifyKubeError(err, 'reading logs').message.split('\n')[0]})`;
    }
  }
  return logs;
}

export function createKubeEvidenceActivities(deps: { kubernetes: KubernetesDeps | undefined; store: EvidenceStore }) {
  return {
    /** facts: node, phase, labels (JSON), owners, containers */
    async kubePodSnapshot(req: EvidenceRequest<PodRef>): Promise<EvidenceRef> {
      const k = kubeClients(deps.kubernetes);
      const ref = req.input;
      const pod = await readPod(k, ref);
      const owners = await ownerChain(k, ref.namespace, pod);
      const events = await kubeCall(`listing events of pod ${ref.namespace}/${ref.pod}`, () =>
        k.core.listNamespacedEvent({ namespace: ref.namespace, fieldSelector: `involvedObject.name=${ref.pod},involvedObject.kind=Pod` }),
      );
      const logs = await containerLogs(k, ref, pod);
      const recorded = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          pod: { metadata: pod.metadata, spec: pod.spec, status: pod.status },
          owners,
          node: pod.spec?.nodeName ?? null,
          events: events.items.map((e) => ({
            type: e.type,
            reason: e.reason,
            message: e.message,
            count: e.count,
            lastTimestamp: e.lastTimestamp,
          })),
          logs,
          fetchedAt: new Date().toISOString(),
        },
      });
      return {
        ...recorded,
        facts: {
          node: pod.spec?.nodeName ?? null,
          phase: pod.status?.phase ?? null,
          labels: JSON.stringify(pod.metadata?.labels ?? {}),
          owners: owners.map((o) => `${o.kind}/${o.name}`).join(' <- '),
          containers: (pod.spec?.containers ?? []).length,
        },
      };
    },

    /** facts: policies, services (names, comma-separated): what selects the pod before isolation */
    async kubePodExposure(req: EvidenceRequest<PodRef>): Promise<EvidenceRef> {
      const k = kubeClients(deps.kubernetes);
      const ref = req.input;
      const labels = (await readPod(k, ref)).metadata?.labels ?? {};
      const policies = await policiesSelecting(k.net, ref.namespace, labels);
      const services = await servicesSelecting(k.core, ref.namespace, labels);
      const recorded = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          labels,
          networkPolicies: policies.map((p) => ({ name: p.metadata?.name, spec: p.spec })),
          services: services.map((s) => ({ name: s.metadata?.name, selector: s.spec?.selector, ports: s.spec?.ports })),
          fetchedAt: new Date().toISOString(),
        },
      });
      return {
        ...recorded,
        facts: {
          policies: policies.map((p) => p.metadata?.name ?? '').join(','),
          services: services.map((s) => s.metadata?.name ?? '').join(','),
        },
      };
    },
  };
}
