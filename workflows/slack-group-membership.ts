/**
 * The last known members of one Slack user group, kept by Temporal so that every worker replica
 * shares it and it outlives them: one long-running workflow per group and task queue
 * (`slackGroupMembershipId`). The approvals activity signals each membership it reads from Slack
 * (signal-with-start) and queries this one when Slack cannot answer while a gate opens.
 */
import { condition, continueAsNew, defineQuery, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';

export interface GroupMembership {
  /** Slack user ids, as usergroups.users.list gave them */
  members: string[];
  /** when Slack last gave them (ISO time, the worker's clock) */
  at: string;
}

export const membershipObservedSignal = defineSignal<[GroupMembership]>('membershipObserved');
export const membershipQuery = defineQuery<GroupMembership | null>('membership');

export const SLACK_GROUP_MEMBERSHIP_WORKFLOW = 'slackGroupMembershipWorkflow';

export function slackGroupMembershipId(taskQueue: string, groupId: string): string {
  return `slack-group-membership-${taskQueue}-${groupId}`;
}

/** Signals per run before it continues as new, keeping its history short. */
const SIGNALS_PER_RUN = 500;

export async function slackGroupMembershipWorkflow(last: GroupMembership | null = null): Promise<void> {
  let latest = last;
  let signals = 0;
  setHandler(membershipObservedSignal, (observed) => {
    signals += 1;
    // Signals can arrive out of order (two workers reading Slack at once): keep the newest reading.
    if (!latest || Date.parse(observed.at) >= Date.parse(latest.at)) latest = observed;
  });
  setHandler(membershipQuery, () => latest);
  await condition(() => signals >= SIGNALS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof slackGroupMembershipWorkflow>(latest);
}
