/**
 * Who is who. Identities are what policies and gates compare: `alice` for a person the policy file
 * knows (with her Slack id), `slack:U…` for a Slack user it does not. Slack user groups become
 * identities when a gate opens, and that set is what the gate enforces.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { GroupResolution, UnresolvedGroup } from '../../workflows/contracts';
import type { MembershipCache } from './membership';
import type { PolicyFile } from './policies';

/** Members (Slack user ids) of a Slack user group; see activities/slack/usergroups.ts. */
export type SlackGroupMembers = (groupId: string) => Promise<string[]>;

export interface ExpandedApprovers {
  approvers: string[];
  /** where each group's members came from, for the evidence record */
  groups: GroupResolution[];
  /** groups that could not be resolved: nobody from them is eligible (fail closed) */
  unresolved: UnresolvedGroup[];
}

export interface ExpandOptions {
  /**
   * A group Slack cannot resolve is left unresolved (nobody from it eligible) instead of failing:
   * at once when Slack refuses for good (no such group), and with `fallback` when Slack is
   * unreachable or rate-limiting. Without it, every failure is thrown, classified.
   */
  failClosed?: boolean;
  /**
   * Slack was retried enough (Retry-After honoured): use each group's last known membership, or
   * leave it unresolved when none is known. Without it, an outage is thrown (classified, with its
   * Retry-After) for the activity's retry policy.
   */
  fallback?: boolean;
}

export class Directory {
  private readonly bySlackId = new Map<string, string>();

  constructor(
    private readonly people: PolicyFile['people'],
    private readonly slackGroupMembers?: SlackGroupMembers,
    private readonly membershipCache?: MembershipCache,
  ) {
    for (const [identity, ids] of Object.entries(people)) this.bySlackId.set(ids.slack, identity);
  }

  identityForSlackUser(userId: string): string {
    return this.bySlackId.get(userId) ?? `slack:${userId}`;
  }

  /** The Slack user id behind an identity, for mentions; undefined when unknown. */
  slackUserOf(identity: string): string | undefined {
    if (identity.startsWith('slack:')) return identity.slice('slack:'.length);
    return Object.hasOwn(this.people, identity) ? this.people[identity]!.slack : undefined;
  }

  async expand(refs: readonly string[], options: ExpandOptions = {}): Promise<ExpandedApprovers> {
    const approvers: string[] = [];
    const groups: ExpandedApprovers['groups'] = [];
    const unresolved: UnresolvedGroup[] = [];
    for (const ref of refs) {
      if (ref.startsWith('slack-group:')) {
        const group = await this.expandGroup(ref, options);
        if ('members' in group) {
          groups.push(group);
          approvers.push(...group.members);
        } else unresolved.push(group);
      } else if (ref.startsWith('slack:')) {
        approvers.push(this.identityForSlackUser(ref.slice('slack:'.length)));
      } else {
        approvers.push(ref);
      }
    }
    return { approvers: [...new Set(approvers)], groups, unresolved };
  }

  private async expandGroup(ref: string, options: ExpandOptions): Promise<GroupResolution | UnresolvedGroup> {
    if (!this.slackGroupMembers) throw new Error(`${ref} needs Slack: set SLACK_BOT_TOKEN so user groups can be resolved`);
    const groupId = ref.slice('slack-group:'.length);
    let users: string[];
    try {
      users = await this.slackGroupMembers(groupId);
    } catch (err) {
      // A refusal Slack will repeat (no_such_subteam, missing_scope) is not an outage: an old
      // membership of a group that is gone must not decide anything.
      const permanent = err instanceof ApplicationFailure && err.nonRetryable;
      if (!options.failClosed || (!permanent && !options.fallback)) throw err;
      const reason = (err as Error).message;
      const cached = permanent ? undefined : await this.membershipCache?.lastKnown(groupId);
      if (!cached) return { ref, reason: `${reason}; no membership known`, retry: !permanent };
      return { ref, members: cached.members.map((u) => this.identityForSlackUser(u)), source: 'cache', cachedAt: cached.at, reason };
    }
    // Remembered for the day Slack is down; a failure to remember must not hold this gate up.
    await this.membershipCache?.record(groupId, { members: users, at: new Date().toISOString() }).catch(() => undefined);
    return { ref, members: users.map((u) => this.identityForSlackUser(u)) };
  }
}
