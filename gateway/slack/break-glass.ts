/**
 * `/breakglass`: time-boxed access from Slack, the same incidents and rules as the CLI.
 *   /breakglass <role> [<namespace>|cluster] <duration> <reason>   ask for access
 *   /breakglass revoke <incident> [reason]                          take it away now (anyone)
 *   /breakglass extend <incident> <duration> <reason>               ask for more time (the requester)
 * Requests are validated here with the playbook's own parameter schema, so Slack refuses exactly
 * what the engine would, and says why.
 */
import { z } from 'zod';
import { breakGlassParams } from '../../playbooks/break-glass';

export const BREAKGLASS_USAGE = [
  'Usage: `/breakglass <role> [<namespace>|cluster] <duration> <reason>`, e.g. `/breakglass db-admin 30m restore orders table after bad migration`',
  '`/breakglass revoke <incident> [reason]` · `/breakglass extend <incident> <duration> <reason>`',
].join('\n');

export type BreakGlassRequest = z.infer<ReturnType<typeof breakGlassParams>>;

export type BreakGlassCommand =
  | { kind: 'request'; request: BreakGlassRequest }
  | { kind: 'revoke'; incidentId: string; reason?: string }
  | { kind: 'extend'; incidentId: string; duration: string; reason: string };

const incidentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'an incident id, like inc-break-glass-abc123');
const looksLikeDuration = (token: string) => /^\d+(\.\d+)?\s*[a-z]+$/i.test(token);

function refusal(error: z.ZodError): { ok: false; error: string } {
  return { ok: false, error: `${error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}\n${BREAKGLASS_USAGE}` };
}

export function parseBreakGlass(text: string): { ok: true; command: BreakGlassCommand } | { ok: false; error: string } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first = '', ...rest] = words;
  if (first === 'revoke') {
    const [id = '', ...reason] = rest;
    const parsed = incidentId.safeParse(id);
    if (!parsed.success) return refusal(parsed.error);
    return { ok: true, command: { kind: 'revoke', incidentId: parsed.data, ...(reason.length ? { reason: reason.join(' ') } : {}) } };
  }
  if (first === 'extend') {
    const [id = '', duration = '', ...reason] = rest;
    const parsed = z
      .object({ incidentId, duration: breakGlassParams().shape.duration, reason: breakGlassParams().shape.reason })
      .safeParse({ incidentId: id, duration, reason: reason.join(' ') });
    if (!parsed.success) return refusal(parsed.error);
    return { ok: true, command: { kind: 'extend', ...parsed.data } };
  }
  const [second = '', ...after] = rest;
  const scoped = second !== '' && !looksLikeDuration(second);
  const [duration = '', ...reason] = scoped ? after : rest;
  const parsed = breakGlassParams().safeParse({ role: first, duration, reason: reason.join(' '), ...(scoped ? { scope: second } : {}) });
  if (!parsed.success) return refusal(parsed.error);
  return { ok: true, command: { kind: 'request', request: parsed.data } };
}
