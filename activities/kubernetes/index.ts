/** Kubernetes activities: pod evidence, isolating and releasing a pod, cordoning its node, checking it is cut off; break-glass grants. */
import type { EvidenceStore } from '../evidence';
import { createKubeBreakGlassActivities } from './break-glass';
import type { BreakGlassCatalogueFile } from './break-glass-catalogue';
import type { KubernetesDeps } from './client';
import { createKubeCordonActivities } from './cordon';
import { createKubeDeploymentHistoryActivities } from './deployment-history';
import { createKubeEvidenceActivities } from './evidence';
import { createKubeGrantSweepActivities } from './grant-sweep';
import { createKubeIsolateActivities } from './isolate';
import { createKubeRollbackActivities } from './rollback';
import { createKubeRolloutActivities } from './rollout';
import { createKubeVerifyActivities } from './verify';

export { kubeConfigFromEnvironment, type KubernetesDeps } from './client';
export type { PodRef } from './evidence';
export { EXPIRES_AT_ANNOTATION, EXPIRES_LABEL, INCIDENT_LABEL, grantBindingName, type BindingRef, type GrantArgs } from './break-glass';
export * from './break-glass-catalogue';
export type { SweptGrant } from './grant-sweep';
export type { DeploymentHistoryInput } from './deployment-history';
export type { RollbackArgs } from './rollback';
export type { AwaitRolloutInput, RolledBackInput } from './rollout';
export { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, type DeploymentRef } from './revisions';
export { QUARANTINE_LABEL, ORIGINAL_LABELS_ANNOTATION, quarantinePolicyName, quarantineValue } from './selectors';

/** Registered on every worker; they fail with KubernetesNotConfigured when `kubernetes` is undefined. */
export function createKubernetesActivities(deps: {
  kubernetes: KubernetesDeps | undefined;
  store: EvidenceStore;
  breakGlass?: BreakGlassCatalogueFile | undefined;
}) {
  return {
    ...createKubeBreakGlassActivities({ ...deps, breakGlass: deps.breakGlass }),
    ...createKubeGrantSweepActivities(deps),
    ...createKubeEvidenceActivities(deps),
    ...createKubeIsolateActivities(deps),
    ...createKubeCordonActivities(deps),
    // rollback-deploy
    ...createKubeDeploymentHistoryActivities(deps),
    ...createKubeRollbackActivities(deps),
    ...createKubeRolloutActivities(deps),
    ...createKubeVerifyActivities(deps),
  };
}
