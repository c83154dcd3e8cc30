/**
 * Alert intake settings from the environment, validated at start-up. Secrets are kept out of every
 * error message and log line; a source without a secret refuses alerts (401) and says which
 * variable to set.
 */
import { z } from 'zod';
import type { IntakeSource } from './routing';
import { parseDuration } from '../../workflows/durations';

/** How old a GitHub delivery's event may be (a signature never expires); below any sane namespace retention. */
export const DEFAULT_GITHUB_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** several secrets, comma-separated, so one can be rotated without refusing alerts */
const secrets = () =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((s) => s.length >= 16), 'each secret needs at least 16 characters')
    .optional();

/** Exported so test/config-docs.test.ts can hold docs/configuration.md to every variable it knows. */
export const envSchema = z.object({
  TOURNIQUET_INTAKE_TOKEN: secrets(),
  TOURNIQUET_INTAKE_TOKEN_FALCO: secrets(),
  TOURNIQUET_INTAKE_TOKEN_ALERTMANAGER: secrets(),
  TOURNIQUET_INTAKE_TOKEN_GENERIC: secrets(),
  TOURNIQUET_GITHUB_WEBHOOK_SECRET: secrets(),
  TOURNIQUET_INTAKE_MAX_BODY: z
    .string()
    .regex(/^\d+(b|kb|mb)?$/i, 'a size such as 1mb, 512kb or 65536')
    .default('1mb'),
  TOURNIQUET_INTAKE_COALESCE_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  TOURNIQUET_INTAKE_COALESCE_MAX_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  TOURNIQUET_GITHUB_MAX_AGE: z
    .string()
    .transform((v, ctx) => {
      const parsed = parseDuration(v);
      if (parsed === undefined || parsed < 60_000)
        ctx.addIssue({ code: 'custom', message: 'a duration of at least 1m, such as 7d or 36h' });
      return parsed ?? 0;
    })
    .optional(),
});

export type TokenSource = Exclude<IntakeSource, 'github'>;

export interface IntakeConfig {
  /** bearer tokens accepted per source (the source's own, else the shared one) */
  tokens: Record<TokenSource, string[]>;
  githubSecrets: string[];
  maxBody: string;
  /** first coalescing window for repeats of one incident; doubles while a storm lasts, up to coalesceMaxMs */
  coalesceMs: number;
  coalesceMaxMs: number;
  /** GitHub deliveries whose event is older are refused (default 7 days; clamped to the namespace retention) */
  githubMaxAgeMs?: number;
}

export class IntakeConfigError extends Error {
  override name = 'IntakeConfigError';
}

/** The variables that configure a source's secret, for "set X" messages. */
export function secretVariables(source: IntakeSource): string[] {
  if (source === 'github') return ['TOURNIQUET_GITHUB_WEBHOOK_SECRET'];
  return [`TOURNIQUET_INTAKE_TOKEN_${source.toUpperCase()}`, 'TOURNIQUET_INTAKE_TOKEN'];
}

export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env): IntakeConfig {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in envSchema.shape && v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    // issues name the variable and the rule broken, never the value
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new IntakeConfigError(`invalid alert intake configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.TOURNIQUET_INTAKE_COALESCE_MAX_MS < e.TOURNIQUET_INTAKE_COALESCE_MS) {
    throw new IntakeConfigError(
      'invalid alert intake configuration:\n  TOURNIQUET_INTAKE_COALESCE_MAX_MS must be >= TOURNIQUET_INTAKE_COALESCE_MS',
    );
  }
  const shared = e.TOURNIQUET_INTAKE_TOKEN ?? [];
  return {
    tokens: {
      falco: e.TOURNIQUET_INTAKE_TOKEN_FALCO ?? shared,
      alertmanager: e.TOURNIQUET_INTAKE_TOKEN_ALERTMANAGER ?? shared,
      generic: e.TOURNIQUET_INTAKE_TOKEN_GENERIC ?? shared,
    },
    githubSecrets: e.TOURNIQUET_GITHUB_WEBHOOK_SECRET ?? [],
    maxBody: e.TOURNIQUET_INTAKE_MAX_BODY,
    coalesceMs: e.TOURNIQUET_INTAKE_COALESCE_MS,
    coalesceMaxMs: e.TOURNIQUET_INTAKE_COALESCE_MAX_MS,
    githubMaxAgeMs: e.TOURNIQUET_GITHUB_MAX_AGE ?? DEFAULT_GITHUB_MAX_AGE_MS,
  };
}
