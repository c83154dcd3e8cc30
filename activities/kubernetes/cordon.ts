/**
 * Cordoning the suspect pod's node, so nothing new is scheduled next to it. Its own step behind
 * its own gate: it affects every workload that might land on the node, not just the suspect.
 * Idempotent (a cordoned node is left as it is); a server-side dry run in drill mode.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ActionResult, ApprovedAction } from '../../workflows/contracts';
import { approvedAction } from '../approved-action';
import { kubeClients, type KubernetesDeps } from './client';
import { kubeCall } from './errors';

export interface NodeRef {
  node: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function createKubeCordonActivities(deps: { kubernetes: KubernetesDeps | undefined }) {
  return {
    kubeCordonNode: approvedAction<NodeRef>(async (req: ApprovedAction<NodeRef>): Promise<ActionResult> => {
      const k = kubeClients(deps.kubernetes);
      const name = req.args.node;
      const node = await kubeCall(`reading node ${name}`, () => k.core.readNode({ name }));
      if (node.spec?.unschedulable) return { summary: `node ${name} was already cordoned`, changed: false };
      const dryRun = req.dryRun ? 'All' : undefined;
      await kubeCall(`cordoning node ${name}`, () =>
        k.core.patchNode({ name, body: { spec: { unschedulable: true } }, dryRun }, mergePatch),
      );
      return req.dryRun
        ? { summary: `DRILL: would cordon node ${name}`, changed: false }
        : { summary: `Cordoned node ${name} (approved by ${req.approval.approvers.join(', ')})`, changed: true };
    }),
  };
}
