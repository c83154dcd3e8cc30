import { Context } from '@temporalio/activity';
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
      // Slack retried enough (Retry-After honoured): fall back rather than fail the incident.
      const failClosed = req.fallbackFromAttempt !== undefined;
      const fallback = failClosed && Context.current().info.attempt >= req.fallbackFromAttempt!;
      const expand = async (refs: string[]) => {
        try {
          return await deps.directory.expand(refs, { failClosed, fallback });
        } catch (err) {
          const failure = err instanceof ApplicationFailure ? err : undefined;
          throw ApplicationFailure.create({
            message: `cannot resolve the approvers of policy ${policy.name}: ${(err as Error).message}`,
            type: FAILURE_TYPES.ApproverResolutionFailed,
            cause: err as Error,
            // the cause's verdict stands: a 429 waits its Retry-After, a refusal is not retried
            nonRetryable: failure?.nonRetryable ?? false,
            ...(failure?.nextRetryDelay != null ? { nextRetryDelay: failure.nextRetryDelay } : {}),
          });
        }
      };
      const expanded = await expand(policy.approvers);
      const resolved = { ...policy, approvers: expanded.approvers };
      // Escalation only notifies people: a group that cannot be resolved there is left out.
      if (policy.escalation) resolved.escalation = { ...policy.escalation, notify: (await expand(policy.escalation.notify)).approvers };
      const cached = expanded.groups.filter((g) => g.source === 'cache');
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
          ...(expanded.unresolved.length ? { unresolved: expanded.unresolved } : {}),
          eligible: resolved.approvers,
          quorum: policy.quorum,
          // what the gate will trust: the eligible approvers' keys, and the front door's
          authentication: trust.mode,
          // the keys themselves, not only fingerprints: old exports stay checkable after keys rotate
          keys: Object.fromEntries(resolved.approvers.map((id) => [id, Object.hasOwn(trust.keys, id) ? trust.keys[id]! : []])),
          keyFingerprints: Object.fromEntries(
            resolved.approvers.map((id) => [id, fingerprints(Object.hasOwn(trust.keys, id) ? trust.keys[id]! : [])]),
          ),
          slackGateway: fingerprints(trust.slackGateway),
          resolvedAt: new Date().toISOString(),
        },
      });
      return {
        policy: resolved,
        evidence,
        trust,
        ...(cached.length ? { cached } : {}),
        ...(expanded.unresolved.length ? { unresolved: expanded.unresolved } : {}),
      };
    },
  };
}
