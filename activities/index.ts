/**
 * All activities the worker registers, built from their dependencies (the samples'
 * `createActivities(deps)` pattern), so tests and the bench can inject their own.
 */
import { createApprovalActivities } from './approvals/activities';
import type { Directory } from './approvals/directory';
import type { PolicyBook } from './approvals/policies';
import type { TrustConfig } from './approvals/signers';
import { createDemoActivities } from './demo/activities';
import type { DemoWorld } from './demo/world';
import type { EvidenceStore } from './evidence';
import { createGitHubActivities, type GitHubDeps } from './github';
import { createKubernetesActivities, type BreakGlassCatalogueFile, type KubernetesDeps } from './kubernetes';
import { createNotifyActivities, DeliveryRegistry, type Notifier } from './notify/notifier';
import { withNoticeRiders } from './notify/riders';

export interface ActivityDeps {
  store: EvidenceStore;
  policies: PolicyBook;
  directory: Directory;
  /** who may sign decisions: snapshotted into every gate */
  trust: TrustConfig;
  notifiers: readonly Notifier[];
  demoWorld: DemoWorld;
  /** GitHub, when configured; the GitHub activities are registered either way and say what is missing */
  github?: GitHubDeps;
  /** Kubernetes, when configured; the Kubernetes activities are registered either way and say what is missing */
  kubernetes?: KubernetesDeps;
  /** the break-glass catalogue (roles, scopes, durations, policies), when configured */
  breakGlass?: BreakGlassCatalogueFile;
}

export function createActivities(deps: ActivityDeps) {
  // one registry for the notices steps carry and the notifyBatch that delivers what they missed
  const registry = new DeliveryRegistry();
  const steps = {
    ...createDemoActivities({ world: deps.demoWorld, store: deps.store }),
    ...createGitHubActivities({ github: deps.github, store: deps.store }),
    ...createKubernetesActivities({ kubernetes: deps.kubernetes, store: deps.store, breakGlass: deps.breakGlass }),
  };
  return {
    ...createApprovalActivities({ policies: deps.policies, directory: deps.directory, store: deps.store, trust: deps.trust }),
    ...createNotifyActivities(deps.notifiers, registry),
    ...withNoticeRiders(steps, deps.notifiers, registry),
  };
}
export type Activities = ReturnType<typeof createActivities>;
