/**
 * The AWS half of a leaked access key that the generic revoke does not cover: what the key could
 * do and did while exposed (evidence, before the gate), undoing the quarantine (compensation,
 * behind its own approval) and deleting the key (a second gate). Each fetches the alert again and
 * requires the approved fingerprint, like the revoke: the key id never enters the workflow.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActionResult, ApprovedAction, EvidenceRequest } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { FAILURE_TYPES } from '../../workflows/failure-types';
import { approvedAction } from '../approved-action';
import {
  deleteAccessKey,
  findAccessKey,
  keyActivity,
  quarantinePolicyName,
  removeQuarantine,
  setKeyStatus,
  classifyAwsError,
  userPolicies,
  type AwsClients,
  type KeyActivity,
} from '../aws';
import { recordArtifact, type EvidenceStore } from '../evidence';
import { fetchAlert, type AlertTarget } from './alerts';
import { refusalsFail, requireGitHub, scrub, type GitHubDeps } from './deps';
import { fetchApproved, type LeakedSecretRef } from './revoke';
import { approvedKey, awsKeyOf, parseAwsPlanRef } from './revokers/aws-access-key';

export interface AwsKeyEvidenceInput extends AlertTarget {
  /** the first leaking commit (ISO): the start of the exposure window; the key's creation when unknown */
  since: string | null;
}

/** LookupEvents reaches back 90 days. */
const CLOUDTRAIL_DAYS = 90;

function requireAws(github: GitHubDeps): AwsClients {
  if (!github.aws)
    throw ApplicationFailure.nonRetryable('AWS is not configured on this worker (docs/configuration.md)', FAILURE_TYPES.AwsNotConfigured);
  return github.aws;
}

export function createAwsKeyActivities(deps: { github: GitHubDeps | undefined; store: EvidenceStore }) {
  return {
    /** facts: userName, keyStatus, createdAt, lastUsedAt, lastUsedService, lastUsedRegion, attachedPolicies, inlinePolicies, cloudTrailEvents (null: unavailable), cloudTrailTruncated, windowFrom */
    async awsLeakedKeyActivity(req: EvidenceRequest<AwsKeyEvidenceInput>): Promise<EvidenceRef> {
      const github = requireGitHub(deps.github);
      const aws = requireAws(github);
      const { leak } = await fetchAlert(github.clients, req.input);
      const key = await refusalsFail(async () => awsKeyOf(leak));
      const known = [leak.secret, key.keyId, ...(key.secretKey ? [key.secretKey] : [])];
      const state = await findAccessKey(aws, key.keyId);
      if (!state)
        throw ApplicationFailure.nonRetryable(`access key ${leak.fingerprint} is not in this AWS account`, FAILURE_TYPES.RevokeRefused);
      const policies = await userPolicies(aws, state.userName);
      const now = new Date();
      const earliest = new Date(now.getTime() - CLOUDTRAIL_DAYS * 86_400_000);
      const start = new Date(req.input.since ?? state.createdAt ?? earliest.toISOString());
      const from = start < earliest ? earliest : start;
      // The lookup is forensics, not containment: when CloudTrail still fails after the SDK's own
      // retries (no permission, throttled, down), the evidence says so and the approvers still get
      // to contain the key, rather than the incident waiting on a log search.
      let activity: KeyActivity | { unavailable: string };
      try {
        activity = await keyActivity(aws, key.keyId, { from, to: now });
      } catch (err) {
        activity = { unavailable: classifyAwsError(err, 'CloudTrail LookupEvents', 'cloudtrail:LookupEvents', known).message };
      }
      const ref = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          key: { fingerprint: leak.fingerprint, ...state },
          policies,
          cloudTrail: activity,
          exposureWindow: { from: from.toISOString(), to: now.toISOString(), clampedTo90Days: start < earliest },
          fetchedAt: now.toISOString(),
        },
        redact: { known },
      });
      const events = 'events' in activity ? activity.events : null;
      return {
        ...ref,
        facts: {
          userName: state.userName,
          keyStatus: state.status,
          createdAt: state.createdAt,
          lastUsedAt: state.lastUsed.at,
          lastUsedService: state.lastUsed.service,
          lastUsedRegion: state.lastUsed.region,
          attachedPolicies: policies.attached.map((p) => p.name).join(', '),
          inlinePolicies: policies.inline.join(', '),
          cloudTrailEvents: events ? events.length : null,
          cloudTrailTruncated: 'truncated' in activity ? activity.truncated : null,
          cloudTrailNames: events ? [...new Set(events.map((e) => e.name ?? '?'))].slice(0, 10).join(', ') : null,
          cloudTrailProblem: 'unavailable' in activity ? scrub(activity.unavailable, leak.secret) : null,
          windowFrom: from.toISOString(),
        },
      };
    },

    /** Compensation: reactivate the key if this incident deactivated it, remove this incident's quarantine policy. */
    awsRestoreLeakedKey: approvedAction(async (req: ApprovedAction<LeakedSecretRef>): Promise<ActionResult> => {
      const github = requireGitHub(deps.github);
      const aws = requireAws(github);
      const { leak } = await fetchApproved(github, req.args);
      const { key, state, userName } = await refusalsFail(() => approvedKey(leak, { ref: req.args.revokeRef, description: '' }, aws));
      const { statusBefore } = await refusalsFail(async () => parseAwsPlanRef(req.args.revokeRef));
      const policy = quarantinePolicyName(req.incidentId);
      // Only what this incident did is undone: a key that was Inactive before it stays Inactive.
      const reactivate = Boolean(state) && state?.status === 'Inactive' && statusBefore === 'Active';
      if (req.dryRun) {
        return {
          summary: `DRILL: ${reactivate ? `would reactivate access key ${leak.fingerprint}` : 'no key to reactivate'}; would remove ${policy} from ${userName}`,
          changed: false,
          details: { dryRun: true },
        };
      }
      if (reactivate) await setKeyStatus(aws, userName, key.keyId, 'Active');
      const removed = await removeQuarantine(aws, userName, policy);
      const said = [
        reactivate
          ? `reactivated access key ${leak.fingerprint} of ${userName}`
          : state
            ? `access key ${leak.fingerprint} left ${state.status}`
            : `access key ${leak.fingerprint} is deleted: nothing to reactivate`,
        removed ? `removed ${policy} from ${userName}` : `${policy} was not attached`,
      ];
      return {
        summary: `${said.join('; ')} (approved by ${req.approval.approvers.join(', ')})`,
        changed: reactivate || removed,
        details: { reactivated: reactivate, quarantineRemoved: removed },
      };
    }),

    /** The second gate: delete the (deactivated) key for good. */
    awsDeleteLeakedKey: approvedAction(async (req: ApprovedAction<LeakedSecretRef>): Promise<ActionResult> => {
      const github = requireGitHub(deps.github);
      const aws = requireAws(github);
      const { leak } = await fetchApproved(github, req.args);
      const { key, state, userName } = await refusalsFail(() => approvedKey(leak, { ref: req.args.revokeRef, description: '' }, aws));
      if (!state) return { summary: `access key ${leak.fingerprint} of ${userName} was already deleted`, changed: false };
      if (state.status === 'Active') {
        throw ApplicationFailure.nonRetryable(
          `access key ${leak.fingerprint} is Active again: someone reactivated it; not deleted`,
          FAILURE_TYPES.RevokeRefused,
        );
      }
      if (req.dryRun)
        return { summary: `DRILL: would delete access key ${leak.fingerprint} of ${userName}`, changed: false, details: { dryRun: true } };
      const deleted = await deleteAccessKey(aws, userName, key.keyId);
      return {
        summary: `${deleted ? 'deleted' : 'already deleted:'} access key ${leak.fingerprint} of IAM user ${userName} (approved by ${req.approval.approvers.join(', ')})`,
        changed: deleted,
      };
    }),
  };
}
