import { ApplicationFailure } from '@temporalio/common';
import type { PolicyRequest, ResolvedPolicy } from '../../workflows/contracts';
import { recordArtifact, type EvidenceStore } from '../evidence';
import type { Directory } from './directory';
import type { PolicyBook } from './policies';

export function createApprovalActivities(deps: { policies: PolicyBook; directory: Directory; store: EvidenceStore }) {
  return {
    /** The gate's policy with every group resolved now, and that resolution kept as evidence. */
    async resolveApprovalPolicy(req: PolicyRequest): Promise<ResolvedPolicy> {
      const policy = deps.policies.resolve(req);
      let expanded;
      try {
        expanded = await deps.directory.expand(policy.approvers);
      } catch (err) {
        throw ApplicationFailure.create({
          message: `cannot resolve the approvers of policy ${policy.name}: ${(err as Error).message}`,
          type: 'ApproverResolutionFailed',
          cause: err as Error,
        });
      }
      const resolved = { ...policy, approvers: expanded.approvers };
      if (policy.escalation) resolved.escalation = { ...policy.escalation, notify: (await deps.directory.expand(policy.escalation.notify)).approvers };
      const evidence = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: `approvers: ${req.step}`,
        content: {
          step: req.step,
          policy: policy.name,
          references: policy.approvers,
          groups: expanded.groups,
          eligible: resolved.approvers,
          quorum: policy.quorum,
          resolvedAt: new Date().toISOString(),
        },
      });
      return { policy: resolved, evidence };
    },
  };
}
