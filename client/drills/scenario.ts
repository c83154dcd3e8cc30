/**
 * Game-day scenarios: files in playbooks/drills/*.json, so anyone can add one without code. Each
 * names a synthetic alert (sent through the real intake), the playbook and outcome expected, and
 * the SLOs the team holds itself to. `{{now}}` and `{{uuid}}` in the alert are filled in when sent.
 * A GitHub alert also names its webhook `event` (X-GitHub-Event): the runner signs it as GitHub would.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseDuration } from '../../workflows/durations';
import { INCIDENT_STATES } from '../../workflows/incident-state';

export const DRILLS_DIR = fileURLToPath(new URL('../../playbooks/drills', import.meta.url));

const slo = z
  .string()
  .refine((d) => parseDuration(d) !== undefined, 'a duration like "5m"')
  .transform((d) => parseDuration(d)!);

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
    description: z.string().min(1),
    alert: z
      .object({
        endpoint: z.enum(['/alerts', '/alerts/falco', '/alerts/alertmanager', '/alerts/github']),
        /** the X-GitHub-Event of a GitHub delivery: required for /alerts/github, meaningless elsewhere */
        event: z.string().min(1).optional(),
        body: z.record(z.string(), z.unknown()),
      })
      .strict()
      .refine((a) => (a.endpoint === '/alerts/github') === (a.event !== undefined), {
        message: 'an /alerts/github alert names its webhook "event" (e.g. "secret_scanning_alert"); other endpoints have none',
        path: ['event'],
      }),
    expect: z.object({ playbook: z.string().min(1), outcome: z.enum(INCIDENT_STATES) }).strict(),
    slo: z.object({ timeToApprove: slo, timeToContain: slo.optional() }).strict(),
  })
  .strict();
export type DrillScenario = z.infer<typeof scenarioSchema>;

export function loadScenarios(dir = DRILLS_DIR): DrillScenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = scenarioSchema.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      if (!parsed.success) throw new Error(`drill scenario ${file} is invalid:\n${z.prettifyError(parsed.error)}`);
      if (`${parsed.data.name}.json` !== file)
        throw new Error(`drill scenario ${file} must be named after its "name" (${parsed.data.name}.json)`);
      return parsed.data;
    });
}

/** The alert body with `{{now}}` and `{{uuid}}` filled in, fresh for each run. */
export function materialize(body: unknown, now = new Date()): unknown {
  const text = JSON.stringify(body).replaceAll('{{now}}', now.toISOString()).replaceAll('{{uuid}}', randomUUID());
  return JSON.parse(text);
}
