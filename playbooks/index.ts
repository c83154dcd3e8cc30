/** Every playbook the worker registers, by name. */
import type { PlaybookRegistry } from '../workflows';
import { demoPlaybook } from './demo';

export const playbooks: PlaybookRegistry = {
  [demoPlaybook.name]: demoPlaybook,
};
