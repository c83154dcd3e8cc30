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
    return withLivenessHeartbeats(() => run(req));
  };
}

/**
 * Heartbeats while the action runs, when the workflow gave it a heartbeat timeout: a worker that
 * dies mid-action (SIGKILL, OOM) is then noticed in seconds and the action retried on another
 * worker (actions are idempotent), instead of after the whole start-to-close timeout.
 */
async function withLivenessHeartbeats<T>(run: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  if (!timeoutMs) return run();
  const timer = setInterval(() => ctx.heartbeat(), Math.max(100, Math.min(5_000, timeoutMs / 3)));
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}
