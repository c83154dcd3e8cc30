import { ApplicationFailure } from '@temporalio/common';
import type { PolicyRequest, ResolvedPolicy } from '../../workflows/contracts';
import { recordArtifact, type EvidenceStore } from '../evidence';
import type { Directory } from './directory';
import type { PolicyBook } from './policies';
import { trustSnapshot, type TrustConfig } from './signers';
import { parsePublicKey } from '../../workflows';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export function createApprovalActivities(deps: { policies: PolicyBook; directory: Directory; store: EvidenceStore; trust: TrustConfig }) {
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
          type: FAILURE_TYPES.ApproverResolutionFailed,
          cause: err as Error,
        });
      }
      const resolved = { ...policy, approvers: expanded.approvers };
      if (policy.escalation) resolved.escalation = { ...policy.escalation, notify: (await deps.directory.expand(policy.escalation.notify)).approvers };
      const trust = trustSnapshot(deps.trust, deps.policies.people);
      const fingerprints = (keys: string[]) => keys.map((k) => parsePublicKey(k).fingerprint);
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
          // what the gate will trust: the eligible approvers' keys, and the front door's
          authentication: trust.mode,
          // the keys themselves, not only fingerprints: old exports stay checkable after keys rotate
          keys: Object.fromEntries(resolved.approvers.map((id) => [id, Object.hasOwn(trust.keys, id) ? trust.keys[id]! : []])),
          keyFingerprints: Object.fromEntries(resolved.approvers.map((id) => [id, fingerprints(Object.hasOwn(trust.keys, id) ? trust.keys[id]! : [])])),
          slackGateway: fingerprints(trust.slackGateway),
          resolvedAt: new Date().toISOString(),
        },
      });
      return { policy: resolved, evidence, trust };
    },
  };
}
