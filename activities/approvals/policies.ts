/**
 * Approval policies come from the worker's policy file, never from the request: whoever starts an
 * incident does not get to pick who approves it. Group names (`@oncall`) expand to their members
 * when a gate opens, and that resolved set is what the gate enforces.
 */
import { ApplicationFailure } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { PolicyRequest } from '../../workflows/contracts';
import { parseDuration } from '../../workflows/durations';
import type { ApprovalPolicy } from '../../workflows/request';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export { parseDuration };

export const durationSchema = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, 'must be a duration like "90s", "30m" or "2h"')
  .transform((s) => parseDuration(s)!);

/** `alice`, `@group`, `slack:U0123ABCD` (a Slack user) or `slack-group:S0123ABCD` (a Slack user group). */
const approverRef = z
  .string()
  .trim()
  .min(1)
  .refine(
    (r) => !/^slack(-group)?:/.test(r) || /^slack:[UW][A-Z0-9]{2,}$|^slack-group:S[A-Z0-9]{2,}$/.test(r),
    'a Slack reference is slack:U… or slack-group:S…',
  );

const policySchema = z
  .object({
    approvers: z.array(approverRef).min(1),
    quorum: z.number().int().min(1).default(1),
    timeout: durationSchema.default(30 * 60_000),
    reminders: z.array(durationSchema).default([]),
    escalation: z
      .object({ after: durationSchema, notify: z.array(approverRef).min(1), channel: z.string().optional() })
      .strict()
      .optional(),
    requireReasonOnApprove: z.boolean().default(false),
    channel: z.string().optional(),
  })
  .strict();

export const policyFileSchema = z
  .object({
    groups: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i),
        z.array(approverRef.refine((m) => !m.startsWith('@'), 'groups list people, not other groups')).min(1),
      )
      .default({}),
    /** who is who across systems: a Slack click by U0ALICE is alice, so alice cannot approve her own request there */
    people: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i), z.object({ slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/) }).strict())
      .default({}),
    policies: z.record(z.string(), policySchema).refine((p) => Object.keys(p).length > 0, 'define at least one policy'),
  })
  .strict()
  .superRefine((file, ctx) => {
    for (const [name, policy] of Object.entries(file.policies)) {
      for (const ref of [...policy.approvers, ...(policy.escalation?.notify ?? [])]) {
        if (ref.startsWith('@') && !Object.hasOwn(file.groups, ref.slice(1))) {
          ctx.addIssue({ code: 'custom', path: ['policies', name], message: `unknown group ${ref}` });
        }
      }
    }
  });
export type PolicyFile = z.infer<typeof policyFileSchema>;

export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

export function parsePolicyFile(raw: unknown, source = 'policy file'): PolicyFile {
  const parsed = policyFileSchema.safeParse(raw);
  if (!parsed.success) throw new PolicyFileError(`${source} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function loadPolicyFile(path: string): PolicyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PolicyFileError(`cannot read policy file ${path}: ${(err as Error).message}`);
  }
  return parsePolicyFile(raw, path);
}

export class PolicyBook {
  constructor(private readonly file: PolicyFile) {}

  /** Own keys only: a name like "constructor" must not find Object.prototype. */
  has(name: string): boolean {
    return Object.hasOwn(this.file.policies, name);
  }

  private expand(refs: string[]): string[] {
    const { groups } = this.file;
    const out = refs.flatMap((ref) => (ref.startsWith('@') ? (Object.hasOwn(groups, ref.slice(1)) ? groups[ref.slice(1)]! : []) : [ref]));
    return [...new Set(out)];
  }

  get people(): PolicyFile['people'] {
    return this.file.people;
  }

  /** The named policy with `@groups` expanded; Slack user groups are left for the Directory. */
  resolve(req: Omit<PolicyRequest, 'incidentId'>): ApprovalPolicy {
    const name = req.policy;
    const policy = name && this.has(name) ? this.file.policies[name] : undefined;
    if (!name || !policy) {
      throw ApplicationFailure.nonRetryable(
        `no approval policy "${name}" for ${req.playbook} / ${req.step}; defined: ${Object.keys(this.file.policies).join(', ')}`,
        FAILURE_TYPES.UnknownPolicy,
      );
    }
    const resolved: ApprovalPolicy = {
      name,
      approvers: this.expand(policy.approvers),
      quorum: policy.quorum,
      timeoutMs: policy.timeout,
      remindersMs: policy.reminders,
      requireReasonOnApprove: policy.requireReasonOnApprove,
    };
    if (policy.escalation) {
      resolved.escalation = { afterMs: policy.escalation.after, notify: this.expand(policy.escalation.notify) };
      if (policy.escalation.channel) resolved.escalation.channel = policy.escalation.channel;
    }
    if (policy.channel) resolved.channel = policy.channel;
    return resolved;
  }
}
