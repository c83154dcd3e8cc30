/**
 * Who is who. Identities are what policies and gates compare: `alice` for a person the policy file
 * knows (with her Slack id), `slack:U…` for a Slack user it does not. Slack user groups become
 * identities when a gate opens, and that set is what the gate enforces.
 */
import type { PolicyFile } from './policies';

/** Members (Slack user ids) of a Slack user group; see activities/slack/usergroups.ts. */
export type SlackGroupMembers = (groupId: string) => Promise<string[]>;

export interface ExpandedApprovers {
  approvers: string[];
  /** where each group's members came from, for the evidence record */
  groups: { ref: string; members: string[] }[];
}

export class Directory {
  private readonly bySlackId = new Map<string, string>();

  constructor(
    private readonly people: PolicyFile['people'],
    private readonly slackGroupMembers?: SlackGroupMembers,
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

  async expand(refs: readonly string[]): Promise<ExpandedApprovers> {
    const approvers: string[] = [];
    const groups: ExpandedApprovers['groups'] = [];
    for (const ref of refs) {
      if (ref.startsWith('slack-group:')) {
        if (!this.slackGroupMembers) throw new Error(`${ref} needs Slack: set SLACK_BOT_TOKEN so user groups can be resolved`);
        const members = (await this.slackGroupMembers(ref.slice('slack-group:'.length))).map((u) => this.identityForSlackUser(u));
        groups.push({ ref, members });
        approvers.push(...members);
      } else if (ref.startsWith('slack:')) {
        approvers.push(this.identityForSlackUser(ref.slice('slack:'.length)));
      } else {
        approvers.push(ref);
      }
    }
    return { approvers: [...new Set(approvers)], groups };
  }
}
