/**
 * The break-glass catalogue: the only roles a person may ask for, where, for how long, and who
 * approves. It lives on the worker (a file, like the approval policies), never in the request, so
 * whoever asks cannot widen what is granted or pick a softer policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { durationSchema } from '../approvals/policies';
import { FAILURE_TYPES } from '../../workflows/failure-types';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const roleSchema = z
  .object({
    description: z.string().min(1).max(300),
    /** the ClusterRole bound; the worker holds `bind` on catalogue roles only (deploy/kubernetes/) */
    clusterRole: z.string().regex(/^tourniquet-breakglass-[a-z0-9-]+$/, 'catalogue roles are the tourniquet-breakglass-* ClusterRoles'),
    /** namespaces it may be granted in (a RoleBinding each); `*` for any */
    namespaces: z.array(z.union([z.literal('*'), z.string().regex(DNS_LABEL, 'a namespace name')])).default([]),
    /** may be granted cluster-wide (a ClusterRoleBinding) */
    cluster: z.boolean().default(false),
    maxDuration: durationSchema.default(4 * 60 * 60_000),
    /** the approval policy; it must need two approvers (checked at start-up) */
    policy: z.string().min(1).default('two-person'),
  })
  .strict()
  .refine((r) => r.cluster || r.namespaces.length > 0, 'a role needs namespaces, or cluster: true');

export const breakGlassCatalogueSchema = z
  .object({
    roles: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'role names: lowercase letters, digits and dashes'), roleSchema),
    /** Tourniquet identity → Kubernetes user name (as your authenticator reports it); the identity itself otherwise */
    users: z.record(z.string(), z.string().min(1).max(253)).default({}),
  })
  .strict();
export type BreakGlassCatalogueFile = z.infer<typeof breakGlassCatalogueSchema>;
export type BreakGlassRole = z.infer<typeof roleSchema>;

export class BreakGlassCatalogueError extends Error {
  override name = 'BreakGlassCatalogueError';
}

export function parseBreakGlassCatalogue(raw: unknown, source = 'break-glass catalogue'): BreakGlassCatalogueFile {
  const parsed = breakGlassCatalogueSchema.safeParse(raw);
  if (!parsed.success) throw new BreakGlassCatalogueError(`${source} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function loadBreakGlassCatalogue(path: string): BreakGlassCatalogueFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BreakGlassCatalogueError(`cannot read break-glass catalogue ${path}: ${(err as Error).message}`);
  }
  return parseBreakGlassCatalogue(raw, path);
}

/** What a request resolves to: exactly one binding for one user, for a bounded time. */
export interface BreakGlassGrant {
  role: string;
  clusterRole: string;
  user: string;
  /** absent: cluster-wide (ClusterRoleBinding) */
  namespace?: string;
  durationMs: number;
  /** the longest the grant may run in all, extensions included */
  maxDurationMs: number;
  policy: string;
}

export const CLUSTER_SCOPE = 'cluster';

function refused(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, FAILURE_TYPES.BreakGlassRefused);
}

/** The catalogue's answer to "role R in scope S for D, for identity I": the grant, or why not. */
export function resolveGrant(
  catalogue: BreakGlassCatalogueFile,
  req: { role: string; scope?: string; durationMs: number; requester: string },
): BreakGlassGrant {
  const entry = Object.hasOwn(catalogue.roles, req.role) ? catalogue.roles[req.role] : undefined;
  if (!entry)
    throw refused(`"${req.role}" is not in the break-glass catalogue; it has: ${Object.keys(catalogue.roles).join(', ') || 'no roles'}`);
  let scope = req.scope;
  if (!scope) {
    const only = entry.namespaces.length === 1 && entry.namespaces[0] !== '*' && !entry.cluster ? entry.namespaces[0] : undefined;
    if (only) scope = only;
    else if (entry.cluster && entry.namespaces.length === 0) scope = CLUSTER_SCOPE;
    else throw refused(`${req.role} needs a scope: ${[...entry.namespaces, ...(entry.cluster ? [CLUSTER_SCOPE] : [])].join(', ')}`);
  }
  if (scope === CLUSTER_SCOPE) {
    if (!entry.cluster) throw refused(`${req.role} cannot be granted cluster-wide; namespaces: ${entry.namespaces.join(', ')}`);
  } else if (!entry.namespaces.includes('*') && !entry.namespaces.includes(scope)) {
    throw refused(
      `${req.role} cannot be granted in namespace ${scope}; allowed: ${[...entry.namespaces, ...(entry.cluster ? [CLUSTER_SCOPE] : [])].join(', ')}`,
    );
  }
  if (req.durationMs > entry.maxDuration) {
    throw refused(
      `${req.role} is granted for at most ${Math.round(entry.maxDuration / 60_000)} min; asked for ${Math.round(req.durationMs / 60_000)} min`,
    );
  }
  const user = Object.hasOwn(catalogue.users, req.requester) ? catalogue.users[req.requester]! : req.requester;
  const grant: BreakGlassGrant = {
    role: req.role,
    clusterRole: entry.clusterRole,
    user,
    durationMs: req.durationMs,
    maxDurationMs: entry.maxDuration,
    policy: entry.policy,
  };
  if (scope !== CLUSTER_SCOPE) grant.namespace = scope;
  return grant;
}

/** Start-up check: every role's policy exists and needs two approvers, so a typo cannot make break-glass one-person. */
export function checkCataloguePolicies(catalogue: BreakGlassCatalogueFile, quorumOf: (policy: string) => number | undefined): void {
  const problems = Object.entries(catalogue.roles).flatMap(([name, role]) => {
    const quorum = quorumOf(role.policy);
    if (quorum === undefined) return [`${name}: no approval policy "${role.policy}"`];
    return quorum < 2 ? [`${name}: policy "${role.policy}" needs ${quorum} approver(s); break-glass needs two`] : [];
  });
  if (problems.length) throw new BreakGlassCatalogueError(`break-glass catalogue: ${problems.join('; ')}`);
}
