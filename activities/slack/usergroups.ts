import type { WebClient } from '@slack/web-api';
import type { SlackGroupMembers } from '../approvals/directory';
import { slackCall } from './client';

/** Members of a Slack user group, asked of Slack when a gate opens (scope usergroups:read). */
export function slackGroupMembers(client: WebClient): SlackGroupMembers {
  return async (usergroup) => {
    const res = await slackCall('usergroups.users.list', () => client.usergroups.users.list({ usergroup }));
    return res.users ?? [];
  };
}
