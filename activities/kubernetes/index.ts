/** Kubernetes activities: pod evidence, isolating and releasing a pod, cordoning its node, checking it is cut off. */
import type { EvidenceStore } from '../evidence';
import type { KubernetesDeps } from './client';
import { createKubeCordonActivities } from './cordon';
import { createKubeEvidenceActivities } from './evidence';
import { createKubeIsolateActivities } from './isolate';
import { createKubeVerifyActivities } from './verify';

export { kubeConfigFromEnvironment, type KubernetesDeps } from './client';
export type { PodRef } from './evidence';
export { QUARANTINE_LABEL, ORIGINAL_LABELS_ANNOTATION, quarantinePolicyName, quarantineValue } from './selectors';

/** Registered on every worker; they fail with KubernetesNotConfigured when `kubernetes` is undefined. */
export function createKubernetesActivities(deps: { kubernetes: KubernetesDeps | undefined; store: EvidenceStore }) {
  return {
    ...createKubeEvidenceActivities(deps),
    ...createKubeIsolateActivities(deps),
    ...createKubeCordonActivities(deps),
    ...createKubeVerifyActivities(deps),
  };
}
