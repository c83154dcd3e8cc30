/**
 * Is the pod cut off? It carries this incident's quarantine label, no other NetworkPolicy and no
 * Service selects it any more, and the incident's deny-all policy exists as applied.
 */
import type { VerifyRequest, VerifyResult } from '../../workflows/contracts';
import { kubeClients, type KubernetesDeps } from './client';
import { readPod, type PodRef } from './evidence';
import { readQuarantinePolicy } from './isolate';
import { policiesSelecting, QUARANTINE_LABEL, quarantinePolicyName, quarantineValue, servicesSelecting } from './selectors';

export function createKubeVerifyActivities(deps: { kubernetes: KubernetesDeps | undefined }) {
  return {
    async kubeCheckIsolated(req: VerifyRequest<PodRef>): Promise<VerifyResult> {
      const k = kubeClients(deps.kubernetes);
      const { namespace, pod: name } = req.input;
      const where = `pod ${namespace}/${name}`;
      if (req.mode === 'drill') {
        // Nothing was written in a drill: the pod still has its labels, so there is nothing to check.
        return { ok: true, summary: `DRILL: ${where} was not changed; it would be checked for isolation`, details: { dryRun: true } };
      }
      const value = quarantineValue(req.incidentId);
      const pod = await readPod(k, req.input);
      const labels = pod.metadata?.labels ?? {};
      const problems: string[] = [];
      if (labels[QUARANTINE_LABEL] !== value) problems.push(`it does not carry ${QUARANTINE_LABEL}=${value}`);
      const ours = quarantinePolicyName(req.incidentId);
      const others = (await policiesSelecting(k.net, namespace, labels)).map((p) => p.metadata?.name ?? '').filter((n) => n !== ours);
      if (others.length) problems.push(`NetworkPolicies still select it: ${others.join(', ')}`);
      const services = (await servicesSelecting(k.core, namespace, labels)).map((s) => s.metadata?.name ?? '');
      if (services.length) problems.push(`Services still select it: ${services.join(', ')}`);
      const policy = await readQuarantinePolicy(k, namespace, req.incidentId);
      const spec = policy?.spec;
      const denyAll =
        spec?.podSelector?.matchLabels?.[QUARANTINE_LABEL] === value &&
        ['Ingress', 'Egress'].every((t) => spec.policyTypes?.includes(t)) &&
        !spec.ingress?.length &&
        !spec.egress?.length;
      if (!policy) problems.push(`the deny-all NetworkPolicy ${ours} is missing`);
      else if (!denyAll) problems.push(`NetworkPolicy ${ours} is not a deny-all on ${QUARANTINE_LABEL}=${value}`);
      const details = { labels, otherPolicies: others, services, policy: ours };
      if (problems.length) return { ok: false, summary: `${where} is not isolated: ${problems.join('; ')}`, details };
      return { ok: true, summary: `${where} is isolated: only deny-all NetworkPolicy ${ours} selects it, and no Service does`, details };
    },
  };
}
