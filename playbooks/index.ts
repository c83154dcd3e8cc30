/** Every playbook the worker registers, by name. */
import type { PlaybookRegistry } from '../workflows';
import { breakGlassPlaybook } from './break-glass';
import { demoPlaybook } from './demo';
import { isolatePodPlaybook } from './isolate-pod';
import { revokeLeakedKeyPlaybook } from './revoke-leaked-key';
import { rollbackDeployPlaybook } from './rollback-deploy';

export const playbooks: PlaybookRegistry = {
  [demoPlaybook.name]: demoPlaybook,
  [revokeLeakedKeyPlaybook.name]: revokeLeakedKeyPlaybook,
  [isolatePodPlaybook.name]: isolatePodPlaybook,
  [rollbackDeployPlaybook.name]: rollbackDeployPlaybook,
  [breakGlassPlaybook.name]: breakGlassPlaybook,
};
