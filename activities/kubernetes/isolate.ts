/**
 * Quarantine and release of a pod. NetworkPolicies are additive, so a deny-all policy alone does
 * not cut a pod off from what other policies allow: the pod's labels are replaced by the
 * quarantine label (no Service, ReplicaSet or other policy selects it any more; its controller
 * starts a clean replacement and the suspect pod stays for forensics), and a deny-all
 * ingress+egress policy selects that label. The original labels are kept in an annotation on the
 * pod itself, so a release works after any worker restart.
 *
 * Idempotent: keyed by the incident. A pod already carrying this incident's quarantine label is not
 * patched again, an existing policy is not created again. In drill mode every write is a
 * server-side dry run (dryRun=All): validated, admitted and authorised, and not stored.
 */
import { PatchStrategy, setHeaderOptions, type V1NetworkPolicy } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionResult, ApprovedAction } from '../../workflows/contracts';
import { approvedAction } from '../approved-action';
import { kubeClients, type KubeClients, type KubernetesDeps } from './client';
import { codeOf, kubeCall } from './errors';
import { readPod, type PodRef } from './evidence';
import { MANAGED_BY, ORIGINAL_LABELS_ANNOTATION, QUARANTINE_LABEL, quarantinePolicyName, quarantineValue } from './selectors';
import { FAILURE_TYPES } from '../../workflows/failure-types';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function quarantinePolicy(incidentId: string): V1NetworkPolicy {
  return {
    metadata: {
      name: quarantinePolicyName(incidentId),
      labels: { ...MANAGED_BY },
      annotations: { 'tourniquet.io/incident': incidentId },
    },
    // No ingress and no egress rules: everything to and from the quarantined pod is denied.
    spec: { podSelector: { matchLabels: { [QUARANTINE_LABEL]: quarantineValue(incidentId) } }, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** The incident's policy, or undefined when there is none yet. */
export async function readQuarantinePolicy(k: KubeClients, namespace: string, incidentId: string): Promise<V1NetworkPolicy | undefined> {
  const name = quarantinePolicyName(incidentId);
  try {
    return await k.net.readNamespacedNetworkPolicy({ name, namespace });
  } catch (err) {
    if (codeOf(err) === 404) return undefined;
    return kubeCall(`reading NetworkPolicy ${namespace}/${name}`, () => Promise.reject(err));
  }
}

export function createKubeIsolateActivities(deps: { kubernetes: KubernetesDeps | undefined }) {
  return {
    kubeIsolatePod: approvedAction<PodRef>(async (req: ApprovedAction<PodRef>): Promise<ActionResult> => {
      const k = kubeClients(deps.kubernetes);
      const { namespace, pod: name } = req.args;
      const dryRun = req.dryRun ? 'All' : undefined;
      const value = quarantineValue(req.incidentId);
      const pod = await readPod(k, req.args);
      const labels = pod.metadata?.labels ?? {};
      const other = labels[QUARANTINE_LABEL];
      if (other !== undefined && other !== value) {
        throw ApplicationFailure.nonRetryable(
          `pod ${namespace}/${name} is already quarantined by ${other}`,
          FAILURE_TYPES.AlreadyQuarantined,
        );
      }
      const done: string[] = [];
      if (other === undefined) {
        const removed = Object.fromEntries(Object.keys(labels).map((key) => [key, null]));
        // resourceVersion makes the patch conditional: labels changed since the read → 409, retried.
        const body = {
          metadata: {
            resourceVersion: pod.metadata?.resourceVersion,
            labels: { ...removed, [QUARANTINE_LABEL]: value },
            annotations: { [ORIGINAL_LABELS_ANNOTATION]: JSON.stringify(labels) },
          },
        };
        await kubeCall(`relabelling pod ${namespace}/${name}`, () =>
          k.core.patchNamespacedPod({ name, namespace, body, dryRun }, mergePatch),
        );
        done.push(`replaced its labels (${Object.keys(labels).length}) with ${QUARANTINE_LABEL}=${value}`);
      }
      const policy = quarantinePolicy(req.incidentId);
      if (!(await readQuarantinePolicy(k, namespace, req.incidentId))) {
        await kubeCall(`creating NetworkPolicy ${namespace}/${policy.metadata!.name}`, () =>
          k.net.createNamespacedNetworkPolicy({ namespace, body: policy, dryRun }),
        );
        done.push(`applied deny-all NetworkPolicy ${policy.metadata!.name}`);
      }
      const details = { dryRun: req.dryRun, originalLabels: labels, policy: policy.metadata!.name, quarantine: value };
      if (done.length === 0) return { summary: `pod ${namespace}/${name} was already isolated`, changed: false, details };
      const said = `isolate pod ${namespace}/${name}: ${done.join('; ')}`;
      return req.dryRun
        ? { summary: `DRILL: would ${said}`, changed: false, details }
        : {
            summary: `${said[0]!.toUpperCase()}${said.slice(1)} (approved by ${req.approval.approvers.join(', ')})`,
            changed: true,
            details,
          };
    }),

    kubeReleasePod: approvedAction<PodRef>(async (req: ApprovedAction<PodRef>): Promise<ActionResult> => {
      const k = kubeClients(deps.kubernetes);
      const { namespace, pod: name } = req.args;
      const dryRun = req.dryRun ? 'All' : undefined;
      const pod = await readPod(k, req.args);
      const labels = pod.metadata?.labels ?? {};
      const done: string[] = [];
      if (labels[QUARANTINE_LABEL] === quarantineValue(req.incidentId)) {
        const saved = pod.metadata?.annotations?.[ORIGINAL_LABELS_ANNOTATION];
        const original = saved ? (JSON.parse(saved) as Record<string, string>) : {};
        const body = {
          metadata: {
            resourceVersion: pod.metadata?.resourceVersion,
            labels: { ...Object.fromEntries(Object.keys(labels).map((key) => [key, null])), ...original },
            annotations: { [ORIGINAL_LABELS_ANNOTATION]: null },
          },
        };
        await kubeCall(`restoring the labels of pod ${namespace}/${name}`, () =>
          k.core.patchNamespacedPod({ name, namespace, body, dryRun }, mergePatch),
        );
        done.push(`restored its labels (${Object.keys(original).length})`);
      }
      const policyName = quarantinePolicyName(req.incidentId);
      if (await readQuarantinePolicy(k, namespace, req.incidentId)) {
        await kubeCall(`deleting NetworkPolicy ${namespace}/${policyName}`, () =>
          k.net.deleteNamespacedNetworkPolicy({ name: policyName, namespace, dryRun }),
        );
        done.push(`removed NetworkPolicy ${policyName}`);
      }
      if (done.length === 0) return { summary: `pod ${namespace}/${name} was not isolated by this incident`, changed: false };
      const said = `release pod ${namespace}/${name}: ${done.join('; ')}`;
      return req.dryRun
        ? { summary: `DRILL: would ${said}`, changed: false }
        : { summary: `${said[0]!.toUpperCase()}${said.slice(1)}`, changed: true };
    }),
  };
}
