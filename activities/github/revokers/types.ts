/**
 * How a kind of leaked secret is made useless. One Revoker per kind; a provider (AWS keys, Slack
 * tokens…) is added by writing one and listing it in ./index.ts, without touching the engine or the
 * playbook. Revokers run only inside activities: the raw secret never leaves the worker.
 */
import type { AwsClients } from '../../aws';
import type { GitHubClients } from '../client';

export interface Leak {
  owner: string;
  repo: string;
  alertNumber: number;
  secretType: string;
  /** the raw value: in memory, in this activity, only */
  secret: string;
  /** `[REDACTED:<type> sha256:… last4:…]`, what people and the workflow see instead */
  fingerprint: string;
}

export interface RevokerContext {
  github: GitHubClients;
  /** drill: reads only, writes described as "would …" */
  dryRun: boolean;
  /** the incident, for revokers that mark what they did with it (the AWS quarantine policy's name) */
  incidentId?: string;
  /** AWS as Tourniquet's own identity, for the AWS access key revoker */
  aws?: AwsClients;
  /** Slack's API (a leaked token is revoked with itself) and Tourniquet's own bot token, to name a webhook's workspace and app */
  slack?: { apiUrl?: string; botToken?: string };
}

/** What exactly will be revoked, found before the approval so the approver sees it. Never secret. */
export interface RevokePlan {
  /** e.g. a deploy key id: handed back to revoke() and check() through the approved action */
  ref: string | null;
  /** e.g. "delete deploy key 42 \"ci\" (read-write) of acme/api" */
  description: string;
}

export interface RevokeResult {
  summary: string;
  /** false when it was already revoked, or in a drill */
  changed: boolean;
  details?: Record<string, string | number | boolean | null>;
}

export interface RevokeCheck {
  revoked: boolean;
  summary: string;
}

export interface Revoker {
  /** stable name, recorded in evidence facts: "github-token", "deploy-key" */
  readonly name: string;
  handles(secretType: string): boolean;
  /** Reads only. Throws RevokerRefusal when this secret cannot be revoked this way. */
  plan(leak: Leak, ctx: RevokerContext): Promise<RevokePlan>;
  /** Idempotent: a secret already revoked is `changed: false`, not an error. */
  revoke(leak: Leak, plan: RevokePlan, ctx: RevokerContext): Promise<RevokeResult>;
  /** Is the secret unusable now? */
  check(leak: Leak, plan: RevokePlan, ctx: RevokerContext): Promise<RevokeCheck>;
}

/** This secret cannot be revoked by this revoker (no matching deploy key, a token kind GitHub cannot revoke…). */
export class RevokerRefusal extends Error {
  override name = 'RevokerRefusal';
}
