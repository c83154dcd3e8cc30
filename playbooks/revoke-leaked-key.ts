/**
 * A secret leaked into a GitHub repository (a secret scanning alert): record the alert and where it
 * leaked, then — behind a critical approval — revoke the secret, rotate the Actions secret that held
 * it if asked, resolve the alert, and check the secret is dead. The exposure window (first leaking
 * commit → contained) goes on the containment clock.
 *
 * No compensation for tokens and deploy keys: a revoked credential cannot be brought back, and
 * should not be. AWS access keys are contained reversibly (deactivated, their user quarantined):
 * their evidence adds the key's owner, policies and CloudTrail activity in the exposure window;
 * compensation restores them behind its own approval; `deleteKey` deletes the key behind a second gate.
 * The raw secret never enters the workflow: evidence carries its fingerprint (sha256, last 4), and
 * the activities fetch the value from GitHub each time they need it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { createGitHubActivities } from '../activities/github';
import { definePlaybook, FAILURE_TYPES, lazy } from '../workflows';

/** Mirrors activities/github/actions-secrets.ts ROTATION_ENV_PREFIX (a value import is not allowed here). */
const ROTATION_ENV_PREFIX = 'TOURNIQUET_ROTATE_';

/** Built on first use: every workflow evaluates every playbook's module, not only the one it runs (workflows/lazy.ts). */
export const revokeLeakedKeyParams = lazy(() => {
  const githubName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a GitHub owner or repository name');
  return z.object({
    owner: githubName,
    repo: githubName,
    alertNumber: z.coerce.number().int().positive(),
    /** also give this Actions secret a new value, read by the worker from its environment */
    rotate: z
      .object({
        secretName: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'an Actions secret name: letters, digits and underscores, not starting with a digit')
          .refine((n) => !/^GITHUB_/i.test(n), 'Actions secret names cannot start with GITHUB_'),
        valueFromEnv: z
          .string()
          .regex(
            new RegExp(`^${ROTATION_ENV_PREFIX}[A-Z0-9_]+$`),
            `the name of a ${ROTATION_ENV_PREFIX}* variable of the worker (never the value)`,
          ),
      })
      .strict()
      .optional(),
    /** AWS access keys: after containment, delete the key, behind a second gate */
    deleteKey: z.boolean().optional(),
  });
});

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export const revokeLeakedKeyPlaybook = definePlaybook<ReturnType<typeof createGitHubActivities>>()({
  name: 'revoke-leaked-key',
  title: (p) => `Leaked secret in ${p.owner}/${p.repo} (secret scanning alert #${p.alertNumber})`,
  description: 'Records a GitHub secret scanning alert and its locations, revokes the secret after approval, resolves the alert, verifies.',
  get params() {
    return revokeLeakedKeyParams();
  },
  defaultPolicy: 'standard',
  async run(ctx) {
    const { owner, repo, alertNumber, rotate, deleteKey } = ctx.params;
    const alertRef = { owner, repo, alertNumber };

    const alert = await ctx.evidence(`secret scanning alert #${alertNumber} in ${owner}/${repo}`, 'githubSecretAlert', alertRef);
    const facts = alert.facts ?? {};
    const secretType = text(facts.secretType);
    const fingerprint = text(facts.fingerprint);
    const revoker = text(facts.revoker);
    if (!revoker) {
      // Nobody is asked to approve what cannot be done: the reason is in the evidence and the outcome.
      throw ApplicationFailure.nonRetryable(`cannot revoke the leaked ${secretType}: ${text(facts.revokePlan)}`, FAILURE_TYPES.NoRevoker);
    }

    const where = await ctx.evidence(`where the secret leaked (alert #${alertNumber})`, 'githubSecretLocations', alertRef);
    const firstCommitAt = where.facts?.firstCommitAt;
    if (typeof firstCommitAt === 'string') ctx.exposedSince(firstCommitAt);

    const aws = revoker === 'aws-access-key';
    if (aws) {
      const since = typeof firstCommitAt === 'string' ? firstCommitAt : null;
      const used = await ctx.evidence(`what AWS access key ${fingerprint} could do and did while exposed`, 'awsLeakedKeyActivity', {
        ...alertRef,
        since,
      });
      const f = used.facts ?? {};
      const trail =
        typeof f.cloudTrailEvents === 'number'
          ? `${f.cloudTrailEvents}${f.cloudTrailTruncated ? '+' : ''} CloudTrail events by the key since ${text(f.windowFrom)}${f.cloudTrailEvents ? ` (${text(f.cloudTrailNames)})` : ''}`
          : `CloudTrail not read: ${text(f.cloudTrailProblem)}`;
      ctx.announce(
        `AWS key ${fingerprint}: IAM user ${text(f.userName)}, ${text(f.keyStatus)}, last used ${text(f.lastUsedAt) || 'never'}${f.lastUsedService ? ` (${text(f.lastUsedService)} in ${text(f.lastUsedRegion)})` : ''}; ${trail}`,
      );
    }

    const secret = {
      ...alertRef,
      secretType,
      fingerprint,
      revoker,
      revokeRef: typeof facts.revokeRef === 'string' ? facts.revokeRef : null,
    };
    await ctx.destructive({
      name: `Revoke leaked ${secretType} in ${owner}/${repo}: ${text(facts.revokePlan)}${rotate ? `; set Actions secret ${rotate.secretName} from ${rotate.valueFromEnv}` : ''}; resolve alert #${alertNumber}`,
      activity: 'githubRevokeLeakedSecret',
      target: `${owner}/${repo}/secret-scanning/${alertNumber}`,
      args: { ...secret, ...(rotate ? { rotate } : {}) },
      risk: 'critical',
    });
    if (aws) {
      ctx.compensate(`restore AWS access key ${fingerprint}`, async () => {
        await ctx.destructive({
          name: `Restore AWS access key ${fingerprint}: reactivate it if this incident deactivated it, remove this incident's quarantine policy`,
          activity: 'awsRestoreLeakedKey',
          target: `${owner}/${repo}/secret-scanning/${alertNumber}/aws`,
          args: secret,
          risk: 'high',
        });
      });
    }
    await ctx.verify('leaked secret revoked', 'githubCheckRevoked', secret);
    if (aws && deleteKey) {
      try {
        await ctx.destructive({
          name: `Delete AWS access key ${fingerprint} for good (it is Inactive and its user quarantined)`,
          activity: 'awsDeleteLeakedKey',
          target: `${owner}/${repo}/secret-scanning/${alertNumber}/aws`,
          args: secret,
          risk: 'critical',
        });
      } catch (err) {
        // Not deleting is a safe answer: the key stays contained, and nothing is compensated for it.
        if (!(err instanceof ApplicationFailure && err.type === 'ApprovalDenied')) throw err;
        ctx.announce(`AWS access key ${fingerprint} not deleted (${err.message}): it stays Inactive and its user quarantined`);
        return;
      }
      await ctx.verify('leaked AWS access key deleted', 'githubCheckRevoked', secret);
    }
  },
});
