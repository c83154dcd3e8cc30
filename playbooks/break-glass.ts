/**
 * Time-boxed access (a person, from Slack or the CLI): a role from the worker's catalogue, in a
 * namespace or cluster-wide, for a while, for a reason. Two approvers other than the requester
 * grant it; a durable timer takes it away at expiry, whatever restarts in between. While it runs,
 * anyone may revoke it early (`revoke`), and the requester may ask for more time (`extend`), which
 * needs a fresh approval decided before the current grant runs out.
 */
import { z } from 'zod';
import type { createKubernetesActivities, GrantArgs } from '../activities/kubernetes';
import {
  definePlaybook,
  FAILURE_TYPES,
  lazy,
  parseDuration as durationMs,
  type CommandDefinition,
  type PlaybookContext,
} from '../workflows';

const MAX_MS = 8 * 60 * 60_000;

/**
 * The params and the commands' schemas, built on first use: every workflow evaluates every
 * playbook's module, not only the one it runs (workflows/lazy.ts).
 */
const schemas = lazy(() => {
  const duration = z.string().refine((d) => {
    const v = durationMs(d);
    return v !== undefined && v >= 60_000 && v <= MAX_MS;
  }, 'a duration between 1m and 8h, like 30m or 2h');

  /** What the approvers read: enough to judge the request by. */
  const reason = z.string().trim().min(10, 'at least 10 characters, for the people who approve it').max(500);

  const params = z
    .object({
      /** a role of the worker's break-glass catalogue */
      role: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a catalogue role name'),
      /** a namespace, or `cluster`; may be left out when the role has only one */
      scope: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a namespace name, or "cluster"')
        .optional(),
      duration,
      reason,
    })
    .strict();
  const commands: Record<string, CommandDefinition> = {
    revoke: { description: 'take the access away now', args: z.object({}).strict(), from: 'anyone', closesOpenGates: true },
    extend: { description: 'ask for more time (needs a fresh approval)', args: z.object({ duration }).strict(), from: 'requester', reason },
  };
  return { params, commands };
});

export const breakGlassParams = () => schemas().params;

const iso = (ms: number) => new Date(ms).toISOString();

type Ctx = PlaybookContext<z.infer<ReturnType<typeof breakGlassParams>>, ReturnType<typeof createKubernetesActivities>>;

function isDenied(err: unknown): boolean {
  return (err as { type?: unknown } | undefined)?.type === FAILURE_TYPES.ApprovalDenied;
}

export const breakGlassPlaybook = definePlaybook<ReturnType<typeof createKubernetesActivities>>()({
  name: 'break-glass',
  title: (p) => `Break-glass: ${p.role}${p.scope ? ` in ${p.scope}` : ''} for ${p.duration}`,
  description:
    'Grants a catalogue role for a while after two approvals; revokes it at expiry (durable timer), or earlier on request; extensions need a fresh approval.',
  get params() {
    return breakGlassParams();
  },
  defaultPolicy: 'two-person',
  get commands() {
    return schemas().commands;
  },
  async run(ctx) {
    const { role, scope, reason } = ctx.params;
    const plan = await ctx.evidence(
      `break-glass request: ${role}${scope ? ` in ${scope}` : ''} for ${ctx.params.duration}`,
      'kubeBreakGlassPlan',
      {
        role,
        ...(scope ? { scope } : {}),
        durationMs: durationMs(ctx.params.duration)!,
        requester: ctx.requester,
        reason,
      },
    );
    const f = plan.facts ?? {};
    const namespace = typeof f.namespace === 'string' ? f.namespace : undefined;
    const grant: GrantArgs = {
      binding: String(f.binding),
      clusterRole: String(f.clusterRole),
      user: String(f.user),
      ...(namespace ? { namespace } : {}),
      durationMs: Number(f.durationMs),
    };
    const ref = { binding: grant.binding, ...(namespace ? { namespace } : {}) };
    const target = namespace ? `rolebindings/${namespace}/${grant.binding}` : `clusterrolebindings/${grant.binding}`;
    const where = namespace ? `namespace ${namespace}` : 'the whole cluster';
    const policy = String(f.policy);

    const granted = await ctx.destructive({
      name: `Grant ${role} (${grant.clusterRole}) to ${grant.user} in ${where} for ${ctx.params.duration} — "${reason}"`,
      activity: 'kubeGrantAccess',
      target,
      args: grant,
      risk: 'high',
      policy,
    });
    const revoke = (why: string, by: string) =>
      ctx.undo({
        name: `Revoke ${role} of ${grant.user} in ${where}`,
        activity: 'kubeRevokeGrant',
        target,
        args: ref,
        reason: why,
        requestedBy: by,
      });
    // Whatever ends the incident from here, failure or cancellation, the access goes with it.
    ctx.compensate(
      `revoke ${role} of ${grant.user}`,
      async () => {
        await revoke('the incident ended before the grant was revoked', 'tourniquet');
      },
      { onCancel: true },
    );
    // Access is live from here: it may be revoked at once, even while it is being verified.
    if (ctx.mode === 'live') ctx.commands.open();
    await ctx.verify(`${role} granted to ${grant.user} in ${where}`, 'kubeCheckGrant', grant);

    const expiresAt = Date.parse(String(granted.details?.expiresAt));
    if (ctx.mode === 'drill') {
      ctx.announce(`nothing was granted, so nothing is held: access would have lasted until ${iso(expiresAt)}`);
      await revoke('drill: the grant was a dry run', 'tourniquet');
      return;
    }
    ctx.announce(
      `Access granted: ${grant.user} has ${role} in ${where} until ${iso(expiresAt)}. Revoke early: tourniquet breakglass revoke ${ctx.incidentId}`,
      { binding: target, expiresAt: iso(expiresAt) },
      [{ command: 'revoke', label: 'Revoke access now', style: 'danger' }],
    );
    const ended = await holdUntilEnd(ctx, {
      expiresAt,
      maxUntil: expiresAt - grant.durationMs + Number(f.maxDurationMs),
      ref,
      target,
      policy,
    });
    await revoke(ended.reason, ended.by);
    ctx.announce(`Access revoked: ${grant.user} no longer has ${role} in ${where} (${ended.reason})`);
  },
});

interface Hold {
  expiresAt: number;
  /** the catalogue's limit on the whole grant, extensions included */
  maxUntil: number;
  ref: { binding: string; namespace?: string };
  target: string;
  policy: string;
}

/** Until the grant expires or somebody revokes it; extensions approved on the way move the expiry. */
async function holdUntilEnd(ctx: Ctx, hold: Hold): Promise<{ reason: string; by: string }> {
  let expiresAt = hold.expiresAt;
  for (;;) {
    const command = await ctx.commands.next(expiresAt);
    if (!command) {
      ctx.commands.close();
      return { reason: `expired at ${iso(expiresAt)}`, by: 'tourniquet' };
    }
    if (command.command === 'revoke') {
      ctx.commands.close();
      return { reason: `revoked early by ${command.by}${command.reason ? `: ${command.reason}` : ''}`, by: command.by };
    }
    const more = durationMs(String(command.args.duration))!;
    const until = expiresAt + more;
    if (until > hold.maxUntil) {
      ctx.announce(
        `Extension by ${command.args.duration} refused: the catalogue allows this role until ${iso(hold.maxUntil)} at most; access still ends at ${iso(expiresAt)}`,
      );
      continue;
    }
    try {
      await ctx.destructive({
        name: `Extend break-glass access by ${command.args.duration}, until ${iso(until)}${command.reason ? ` — "${command.reason}"` : ''}`,
        activity: 'kubeExtendGrant',
        target: hold.target,
        args: { ...hold.ref, expiresAt: iso(until) },
        risk: 'high',
        policy: hold.policy,
        decideBy: expiresAt,
      });
    } catch (err) {
      if (!isDenied(err)) throw err;
      ctx.announce(`Extension not granted; access still ends at ${iso(expiresAt)}`);
      continue;
    }
    expiresAt = until;
    ctx.announce(`Access extended until ${iso(until)}`);
  }
}
