/**
 * The destructive half: revoke the leaked secret, rotate an Actions secret if asked, resolve the
 * alert — behind the approval for exactly that — and the check that it worked.
 *
 * At action time the alert is fetched again and its secret must still have the approved
 * fingerprint. Every part is idempotent, so a retry after a crash finishes the job instead of
 * doing it twice: a dead token, a deleted key or a resolved alert is `changed: false`, and an alert
 * this incident already resolved short-cuts the whole action.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActionResult, ApprovedAction, VerifyRequest, VerifyResult } from '../../workflows/contracts';
import { approvedAction } from '../approved-action';
import { resolveRotationValue, rotateActionsSecret, type Rotation } from './actions-secrets';
import { alertName, fetchAlert, type AlertTarget, type FetchedAlert } from './alerts';
import { refusalsFail, requireGitHub, revokerExtras, scrub, type GitHubDeps } from './deps';
import { githubCall } from './errors';
import { noRevokerMessage, type Revoker, type RevokePlan } from './revokers';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export interface LeakedSecretRef extends AlertTarget {
  secretType: string;
  /** the fingerprint the approvers saw: the secret must still be this one */
  fingerprint: string;
  /** the revoker chosen when the evidence was collected, and what it found (e.g. a deploy key id) */
  revoker: string;
  revokeRef: string | null;
}

export interface RevokeArgs extends LeakedSecretRef {
  rotate?: Rotation;
}

/** GitHub keeps resolution comments short. */
const MAX_COMMENT = 270;

function revokerOf(github: GitHubDeps, ref: LeakedSecretRef): Revoker {
  const revoker = github.revokers.find((r) => r.name === ref.revoker && r.handles(ref.secretType));
  if (!revoker) throw ApplicationFailure.nonRetryable(noRevokerMessage(ref.secretType), FAILURE_TYPES.NoRevoker);
  return revoker;
}

export async function fetchApproved(github: GitHubDeps, ref: LeakedSecretRef): Promise<FetchedAlert> {
  const fetched = await fetchAlert(github.clients, ref);
  if (fetched.leak.fingerprint !== ref.fingerprint) {
    throw ApplicationFailure.nonRetryable(
      `${alertName(ref)} now holds ${fetched.leak.fingerprint}, not the approved ${ref.fingerprint}: nothing done`,
      FAILURE_TYPES.SecretChanged,
    );
  }
  return fetched;
}

const marker = (incidentId: string) => `Tourniquet incident ${incidentId}`;

export function createGitHubRevokeActivities(deps: { github: GitHubDeps | undefined }) {
  return {
    githubRevokeLeakedSecret: approvedAction(async (req: ApprovedAction<RevokeArgs>): Promise<ActionResult> => {
      const github = requireGitHub(deps.github);
      const { args } = req;
      const { alert, leak } = await fetchApproved(github, args);
      const revoker = revokerOf(github, args);
      if (alert.state === 'resolved' && alert.resolution === 'revoked' && alert.resolution_comment?.includes(marker(req.incidentId))) {
        return { summary: `${leak.fingerprint} already revoked and ${alertName(args)} resolved by this incident`, changed: false };
      }
      // Before any write: a rotation that cannot happen stops the action while nothing is done yet.
      const newValue = args.rotate ? resolveRotationValue(args.rotate, github.rotationValues, leak.secret) : undefined;
      const ctx = { github: github.clients, dryRun: req.dryRun, incidentId: req.incidentId, ...revokerExtras(github) };
      const plan: RevokePlan = { ref: args.revokeRef, description: '' };

      const revoked = await refusalsFail(() => revoker.revoke(leak, plan, ctx));
      const rotated =
        args.rotate && newValue
          ? await rotateActionsSecret(github.clients, {
              owner: args.owner,
              repo: args.repo,
              secretName: args.rotate.secretName,
              value: newValue,
              dryRun: req.dryRun,
            })
          : undefined;

      let resolved: { summary: string; changed: boolean };
      if (alert.state === 'resolved')
        resolved = { summary: `alert #${args.alertNumber} was already resolved (${alert.resolution})`, changed: false };
      else if (req.dryRun) resolved = { summary: `would resolve alert #${args.alertNumber} as revoked`, changed: false };
      else {
        const link = github.incidentUrl?.(req.incidentId);
        const comment = `Revoked by ${marker(req.incidentId)}${link ? ` ${link}` : ''}, approved by ${req.approval.approvers.join(', ')}.`;
        await githubCall(`resolve ${alertName(args)}`, () =>
          github.clients.api.rest.secretScanning.updateAlert({
            owner: args.owner,
            repo: args.repo,
            alert_number: args.alertNumber,
            state: 'resolved',
            resolution: 'revoked',
            resolution_comment: comment.slice(0, MAX_COMMENT),
          }),
        );
        resolved = { summary: `resolved alert #${args.alertNumber} as revoked`, changed: true };
      }

      const said = [revoked.summary, rotated?.summary, resolved.summary].filter(Boolean).join('; ');
      return {
        summary: scrub(req.dryRun ? `DRILL: ${said}` : `${said} (approved by ${req.approval.approvers.join(', ')})`, leak.secret),
        changed: revoked.changed || Boolean(rotated?.changed) || resolved.changed,
        details: {
          revoker: revoker.name,
          fingerprint: leak.fingerprint,
          revoked: revoked.changed,
          rotated: rotated ? rotated.changed : null,
          resolved: resolved.changed,
          ...(req.dryRun ? { dryRun: true } : {}),
        },
      };
    }),

    async githubCheckRevoked(req: VerifyRequest<LeakedSecretRef>): Promise<VerifyResult> {
      const github = requireGitHub(deps.github);
      const ref = req.input;
      if (req.mode === 'drill') {
        return { ok: true, summary: `DRILL: nothing was revoked; ${ref.fingerprint} would be checked`, details: { dryRun: true } };
      }
      const { alert, leak } = await fetchApproved(github, ref);
      const check = await refusalsFail(() =>
        revokerOf(github, ref).check(
          leak,
          { ref: ref.revokeRef, description: '' },
          { github: github.clients, dryRun: false, incidentId: req.incidentId, ...revokerExtras(github) },
        ),
      );
      const resolved = alert.state === 'resolved';
      return {
        ok: check.revoked && resolved,
        summary: scrub(
          `${check.summary}; alert #${ref.alertNumber} ${resolved ? `resolved (${alert.resolution})` : 'still open'}`,
          leak.secret,
        ),
        details: { revoked: check.revoked, alertState: alert.state ?? null, resolution: alert.resolution ?? null },
      };
    },
  };
}
