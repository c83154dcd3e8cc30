/**
 * Notices riding a step activity (workflows/notifications.ts `riders`): the workflow task that
 * scheduled the step also had news to send, and instead of a notifyBatch of its own (an activity,
 * and a workflow task when it completes) the news travels in the step's input. The step runs as
 * ever; once it succeeded, the worker delivers the news within the batch's budget and answers both.
 * A delivery that failed or ran late never fails the step: the outcome says how far it got, and the
 * workflow sends the rest in a notifyBatch. A step that failed delivered nothing, so its retry
 * cannot repeat a line.
 */
import { Context } from '@temporalio/activity';
import { NOTICES_FIELD, type NotificationBatch } from '../../workflows/contracts';
import { deliverWithin, type DeliveryRegistry, type Notifier } from './notifier';

type Activity = (...args: any[]) => Promise<unknown>;

/** Wraps each activity: an input carrying notices loses them before the step sees it; they go out after it. */
export function withNoticeRiders<T extends Record<string, Activity>>(
  activities: T,
  notifiers: readonly Notifier[],
  registry: DeliveryRegistry,
): T {
  const wrapped: Record<string, Activity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      const [input, ...rest] = args;
      if (!input || typeof input !== 'object' || !Object.hasOwn(input, NOTICES_FIELD)) return activity(...args);
      const { [NOTICES_FIELD]: notices, ...step } = input as Record<string, unknown>;
      const result = await activity(step, ...rest);
      const { info } = Context.current();
      const outcome = await deliverWithin(notifiers, registry, notices as NotificationBatch, {
        runId: info.workflowExecution?.runId ?? info.activityId,
      });
      return { [NOTICES_FIELD]: outcome, result };
    };
  }
  return wrapped as T;
}
