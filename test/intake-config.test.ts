import { describe, expect, it } from 'vitest';
import { IntakeConfigError, loadIntakeConfig } from '../gateway/intake/config';
import { createIntakeRouter } from '../gateway/intake/router';
import { RouteConfigError } from '../gateway/intake/routing';
import { intakeConfig } from './support/intake';

function rejected(env: NodeJS.ProcessEnv): string {
  try {
    loadIntakeConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(IntakeConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('alert intake configuration', () => {
  it('has safe defaults: no secrets (every source refuses), 1mb bodies, a 250 ms window growing to 10 s, GitHub deliveries up to 7 days old', () => {
    expect(loadIntakeConfig({})).toEqual({
      tokens: { falco: [], alertmanager: [], generic: [] },
      githubSecrets: [],
      maxBody: '1mb',
      coalesceMs: 250,
      coalesceMaxMs: 10_000,
      githubMaxAgeMs: 7 * 24 * 3_600_000,
    });
    expect(loadIntakeConfig({ TOURNIQUET_GITHUB_MAX_AGE: '36h' }).githubMaxAgeMs).toBe(36 * 3_600_000);
  });

  it('uses the shared token where a source has none of its own, and accepts several for rotation', () => {
    const config = loadIntakeConfig({
      TOURNIQUET_INTAKE_TOKEN: 'shared-token-0123456789',
      TOURNIQUET_INTAKE_TOKEN_FALCO: 'falco-token-0123456789, falco-next-0123456789',
    });
    expect(config.tokens).toEqual({
      falco: ['falco-token-0123456789', 'falco-next-0123456789'],
      alertmanager: ['shared-token-0123456789'],
      generic: ['shared-token-0123456789'],
    });
  });

  it('names the variable of a bad value, never the value', () => {
    const message = rejected({
      TOURNIQUET_INTAKE_TOKEN_FALCO: 'short-secret',
      TOURNIQUET_INTAKE_MAX_BODY: 'lots',
      TOURNIQUET_INTAKE_COALESCE_MS: '0',
    });
    expect(message).toContain('TOURNIQUET_INTAKE_TOKEN_FALCO: each secret needs at least 16 characters');
    expect(message).toContain('TOURNIQUET_INTAKE_MAX_BODY: a size such as 1mb');
    expect(message).toContain('TOURNIQUET_INTAKE_COALESCE_MS');
    expect(message).not.toContain('short-secret');
    expect(rejected({ TOURNIQUET_INTAKE_COALESCE_MS: '500', TOURNIQUET_INTAKE_COALESCE_MAX_MS: '100' })).toMatch(
      /COALESCE_MAX_MS must be >= /,
    );
    expect(rejected({ TOURNIQUET_GITHUB_MAX_AGE: 'forever' })).toContain('TOURNIQUET_GITHUB_MAX_AGE: a duration of at least 1m');
  });

  it('a bad routing rule stops the intake router from being built', () => {
    const build = () =>
      createIntakeRouter({
        client: {} as never,
        taskQueue: 'unused',
        config: intakeConfig(),
        routes: [
          {
            name: 'leak',
            source: 'github',
            playbook: 'demo',
            params: { service: '{{ repository.name | sluggify }}' },
            dedupKey: ['repository'],
          },
        ],
      });
    expect(build).toThrow(RouteConfigError);
    expect(build).toThrow(/rule 1 \(leak\)\.params\.service: .*unknown filter "sluggify"/);
  });
});
