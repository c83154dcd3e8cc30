/**
 * Where the last known members of Slack user groups are kept: in Temporal, one small workflow per
 * group (workflows/slack-group-membership.ts), so every worker replica reads what any of them
 * wrote, and a restart loses nothing. No file on a worker's disk (not shared), no new database.
 */
import { Context } from '@temporalio/activity';
import {
  membershipObservedSignal,
  membershipQuery,
  slackGroupMembershipId,
  SLACK_GROUP_MEMBERSHIP_WORKFLOW,
  type GroupMembership,
} from '../../workflows/slack-group-membership';

export type { GroupMembership };

export interface MembershipCache {
  /** Remembers what Slack just said; best effort: a failure here must not fail the gate. */
  record(groupId: string, membership: GroupMembership): Promise<void>;
  /** The last membership Slack gave, or undefined when none is known (or it cannot be read now). */
  lastKnown(groupId: string): Promise<GroupMembership | undefined>;
}

/** How long a read of the cache may take: it runs while a gate is about to open. */
const READ_DEADLINE_MS = 3_000;

/** The cache in Temporal, through the client of the worker running the activity. */
export class TemporalMembershipCache implements MembershipCache {
  async record(groupId: string, membership: GroupMembership): Promise<void> {
    const { client, info, log } = Context.current();
    try {
      await client.workflow.signalWithStart(SLACK_GROUP_MEMBERSHIP_WORKFLOW, {
        workflowId: slackGroupMembershipId(info.taskQueue, groupId),
        taskQueue: info.taskQueue,
        args: [membership],
        signal: membershipObservedSignal,
        signalArgs: [membership],
      });
    } catch (err) {
      log.warn(`cannot remember the members of Slack group ${groupId}: ${(err as Error).message}`);
    }
  }

  async lastKnown(groupId: string): Promise<GroupMembership | undefined> {
    const { client, info } = Context.current();
    const handle = client.workflow.getHandle(slackGroupMembershipId(info.taskQueue, groupId));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), READ_DEADLINE_MS);
    });
    try {
      return (await Promise.race([handle.query(membershipQuery).catch(() => null), deadline])) ?? undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
