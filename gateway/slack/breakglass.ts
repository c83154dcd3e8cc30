/**
 * `/breakglass <role> <duration> <reason>`: a request for time-boxed access, validated here and
 * run as an incident of the break-glass playbook (two approvers, neither the requester).
 */
import { parseDuration } from '../../activities/approvals/policies';
import { z } from 'zod';

export const BREAKGLASS_USAGE = 'Usage: `/breakglass <role> <duration> <reason>`, e.g. `/breakglass db-admin 30m restore orders table after bad migration`';
const MAX_MS = 8 * 60 * 60_000;

const requestSchema = z.object({
  role: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'role: lowercase letters, digits and dashes'),
  duration: z.string().refine((d) => {
    const v = parseDuration(d);
    return v !== undefined && v >= 60_000 && v <= MAX_MS;
  }, 'duration: between 1m and 8h, like 30m or 2h'),
  reason: z.string().min(10, 'reason: at least 10 characters, for the people who approve it'),
});
export type BreakGlassRequest = z.infer<typeof requestSchema>;

export function parseBreakGlass(text: string): { ok: true; request: BreakGlassRequest } | { ok: false; error: string } {
  const [role = '', duration = '', ...reason] = text.trim().split(/\s+/);
  const parsed = requestSchema.safeParse({ role, duration, reason: reason.join(' ') });
  if (!parsed.success) return { ok: false, error: `${parsed.error.issues.map((i) => i.message).join('; ')}\n${BREAKGLASS_USAGE}` };
  return { ok: true, request: parsed.data };
}
