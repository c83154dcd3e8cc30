/**
 * All activities the worker registers, built from their dependencies (the samples'
 * `createActivities(deps)` pattern), so tests and the bench can inject their own.
 */
import { createApprovalActivities, type PolicyBook } from './approvals/policies';
import { createDemoActivities } from './demo/activities';
import type { DemoWorld } from './demo/world';
import type { EvidenceStore } from './evidence';
import { createNotifyActivities, type Notifier } from './notify/notifier';

export interface ActivityDeps {
  store: EvidenceStore;
  policies: PolicyBook;
  notifiers: readonly Notifier[];
  demoWorld: DemoWorld;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createApprovalActivities(deps.policies),
    ...createNotifyActivities(deps.notifiers),
    ...createDemoActivities({ world: deps.demoWorld, store: deps.store }),
  };
}
export type Activities = ReturnType<typeof createActivities>;
