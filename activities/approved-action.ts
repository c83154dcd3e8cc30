/**
 * Every destructive activity is wrapped here. It refuses to act unless it was handed the approval
 * for exactly this action, target and arguments: the digest the approvers voted on.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { actionDigest } from '../workflows/canonical';
import type { ActionResult, ApprovedAction } from '../workflows/contracts';
import { FAILURE_TYPES } from '../workflows/failure-types';

export function approvedAction<I>(run: (req: ApprovedAction<I>) => Promise<ActionResult>) {
  return async (req: ApprovedAction<I>): Promise<ActionResult> => {
    const activityType = Context.current().info.activityType;
    const expected = actionDigest({ action: activityType, target: req.target, args: req.args });
    if (req.action !== activityType || req.approval?.digest !== expected || req.approval.approvers.length === 0) {
      throw ApplicationFailure.nonRetryable(
        `${activityType} refused: no approval for this exact action (target ${req.target})`,
        FAILURE_TYPES.ApprovalMismatch,
      );
    }
    return run(req);
  };
}
