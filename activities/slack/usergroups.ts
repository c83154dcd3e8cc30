import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../../workflows/failure-types';
import type { WebClient } from '@slack/web-api';
import type { SlackGroupMembers } from '../approvals/directory';
import { slackCall } from './client';

/**
 * Shorter than the client's own timeout: the lookup runs in the policy activity while a gate
 * opens, and a hung Slack must end as a retryable failure within that activity's time, so that
 * its last attempt can still fall back to the last known membership.
 */
const LOOKUP_DEADLINE_MS = 4_000;

/** Members of a Slack user group, asked of Slack when a gate opens (scope usergroups:read). */
export function slackGroupMembers(client: WebClient): SlackGroupMembers {
  return async (usergroup) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            ApplicationFailure.retryable(
              `Slack did not answer usergroups.users.list within ${LOOKUP_DEADLINE_MS / 1000}s`,
              FAILURE_TYPES.SlackUnavailable,
            ),
          ),
        LOOKUP_DEADLINE_MS,
      );
    });
    try {
      const res = await Promise.race([slackCall('usergroups.users.list', () => client.usergroups.users.list({ usergroup })), deadline]);
      return res.users ?? [];
    } finally {
      clearTimeout(timer);
    }
  };
}
