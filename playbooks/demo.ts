/**
 * A harmless playbook that walks the whole lifecycle: evidence → a destructive step behind
 * approval → verification → containment. It acts only on the demo world's files.
 */
import { z } from 'zod';
import type { createDemoActivities } from '../activities/demo/activities';
import { definePlaybook, lazy } from '../workflows';

/** Built on first use: every workflow evaluates every playbook's module, not only the one it runs (workflows/lazy.ts). */
export const demoParams = lazy(() =>
  z.object({
    service: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a service name: lowercase letters, digits and dashes')
      .default('checkout'),
    /** makes verification fail, to show compensation running */
    simulateVerifyFailure: z.boolean().default(false),
  }),
);

export const demoPlaybook = definePlaybook<ReturnType<typeof createDemoActivities>>()({
  name: 'demo',
  title: (p) => `Demo: quarantine service ${p.service}`,
  description: 'Snapshots a demo service, quarantines it after approval, verifies, and snapshots again.',
  get params() {
    return demoParams();
  },
  defaultPolicy: 'standard',
  async run(ctx) {
    const target = { service: ctx.params.service };
    await ctx.evidence('service snapshot (before)', 'demoSnapshot', target);
    await ctx.destructive({
      name: `Quarantine service ${target.service}`,
      activity: 'demoQuarantine',
      target: `service/${target.service}`,
      args: target,
      risk: 'medium',
    });
    ctx.compensate(`release ${target.service}`, async () => {
      await ctx.destructive({
        name: `Release service ${target.service}`,
        activity: 'demoRelease',
        target: `service/${target.service}`,
        args: target,
        risk: 'low',
      });
    });
    await ctx.verify('service quarantined', 'demoCheckQuarantined', { ...target, expectFailure: ctx.params.simulateVerifyFailure });
    await ctx.evidence('service snapshot (after)', 'demoSnapshot', target);
  },
});
