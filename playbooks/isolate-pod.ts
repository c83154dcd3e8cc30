/**
 * A suspect pod (a Falco alert): record the pod, its owners, logs, events and what reaches it on
 * the network, then — behind approval — isolate it: its labels are replaced by the quarantine
 * label (so no Service, ReplicaSet or other NetworkPolicy selects it; NetworkPolicies are additive,
 * so a deny-all alone would not cut it off) and a deny-all ingress+egress NetworkPolicy selects that
 * label. The pod stays for forensics; its controller starts a clean replacement.
 *
 * Optionally, the pod's node is cordoned behind a gate of its own.
 * Compensation, if verification fails: release (labels restored from the annotation on the pod,
 * policy removed), behind its own approval.
 */
import { z } from 'zod';
import type { createKubernetesActivities } from '../activities/kubernetes';
import { definePlaybook, lazy } from '../workflows';
import { namespaceName, objectName } from './kubernetes-names';

/** Built on first use: every workflow evaluates every playbook's module, not only the one it runs (workflows/lazy.ts). */
export const isolatePodParams = lazy(() => {
  return z
    .object({
      namespace: namespaceName(),
      pod: objectName('pod'),
      /** also cordon the pod's node, behind a gate of its own, once the pod is isolated */
      cordonNode: z.boolean().default(false),
    })
    .strict();
});

export const isolatePodPlaybook = definePlaybook<ReturnType<typeof createKubernetesActivities>>()({
  name: 'isolate-pod',
  title: (p) => `Suspect pod ${p.namespace}/${p.pod}`,
  description:
    'Records a suspect pod and what reaches it, isolates it after approval (quarantine label + deny-all NetworkPolicy), verifies.',
  get params() {
    return isolatePodParams();
  },
  defaultPolicy: 'standard',
  async run(ctx) {
    const ref = { namespace: ctx.params.namespace, pod: ctx.params.pod };
    const where = `${ref.namespace}/${ref.pod}`;
    const snapshot = await ctx.evidence(`pod ${where}: spec, status, owners, node, logs, events`, 'kubePodSnapshot', ref);
    const exposure = await ctx.evidence(`what selects pod ${where}: NetworkPolicies and Services`, 'kubePodExposure', ref);
    const policies = String(exposure.facts?.policies ?? '');
    const services = String(exposure.facts?.services ?? '');

    await ctx.destructive({
      name: `Isolate pod ${where}: replace its labels with the quarantine label${services ? ` (drops it from Services ${services})` : ''}${policies ? ` (out of NetworkPolicies ${policies})` : ''}; apply a deny-all ingress+egress NetworkPolicy`,
      activity: 'kubeIsolatePod',
      target: `pods/${where}`,
      args: ref,
      risk: 'high',
    });
    ctx.compensate(`release pod ${where}`, async () => {
      await ctx.destructive({
        name: `Release pod ${where}: restore its labels, remove the quarantine NetworkPolicy`,
        activity: 'kubeReleasePod',
        target: `pods/${where}`,
        args: ref,
        risk: 'medium',
      });
    });
    await ctx.verify(`pod ${where} isolated`, 'kubeCheckIsolated', ref);

    const node = snapshot.facts?.node;
    if (ctx.params.cordonNode && typeof node === 'string' && node) {
      await ctx.destructive({
        name: `Cordon node ${node} (where ${where} runs): nothing new is scheduled on it`,
        activity: 'kubeCordonNode',
        target: `nodes/${node}`,
        args: { node },
        risk: 'medium',
      });
    }
  },
});
