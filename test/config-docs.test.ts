/**
 * docs/configuration.md cannot drift from the code: every variable the zod schemas know has a row
 * in its table, and the page names no variable that nothing reads. Variables read outside the
 * schemas are allowed by name, each with the file that reads it (checked, so the list cannot rot).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema as intakeEnv } from '../gateway/intake/config';
import { projectRoot } from '../tools/temporal-binaries';
import { envSchema as workerEnv } from '../worker/config';

/** Read outside worker/config.ts and gateway/intake/config.ts; a trailing `*` is a prefix. */
const readElsewhere: Record<string, string[]> = {
  TEMPORAL_CLI: ['tools/temporal-binaries.ts'],
  TEMPORAL_TEST_SERVER: ['tools/temporal-binaries.ts'],
  TOURNIQUET_KEY: ['client/signing.ts'],
  TOURNIQUET_KEYS_DIR: ['client/signing.ts', 'cli/keys.ts'],
  TOURNIQUET_GATEWAY_URL: ['cli/drill.ts'],
  // named per incident by revoke-leaked-key's `rotate.valueFromEnv`, which must start so
  'TOURNIQUET_ROTATE_*': ['activities/github/actions-secrets.ts', 'playbooks/revoke-leaked-key.ts'],
  'BENCH_*': ['bench/main.ts'],
  // the AWS SDK's own standard credential chain and retry settings
  'AWS_*': ['activities/aws/clients.ts'],
};

const schemaVariables = [...Object.keys(workerEnv.shape), ...Object.keys(intakeEnv.shape)];
const doc = readFileSync(join(projectRoot, 'docs/configuration.md'), 'utf8');

/** `A`, `B_{X,Y}` → A, B_X, B_Y */
function expand(name: string): string[] {
  const braces = /^(.*)\{([^}]*)\}(.*)$/.exec(name);
  return braces ? braces[2]!.split(',').flatMap((part) => expand(`${braces[1]}${part.trim()}${braces[3]}`)) : [name];
}

/** The variables in the first column of the configuration table. */
function tableVariables(markdown: string): string[] {
  const rows = markdown.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].flatMap((m) => expand(m[1]!)));
}

/** Every environment-variable-looking name anywhere on the page, prose and examples included. */
function mentionedVariables(markdown: string): string[] {
  const names = [...markdown.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:_\*|_\{[A-Z0-9_,]+\})?/g)].map((m) => m[0]);
  return [...new Set(names.flatMap(expand))];
}

function known(name: string): boolean {
  if (schemaVariables.includes(name)) return true;
  return Object.keys(readElsewhere).some((allowed) => (allowed.endsWith('*') ? name.startsWith(allowed.slice(0, -1)) : name === allowed));
}

describe('docs/configuration.md', () => {
  it('reads the schemas', () => {
    expect(schemaVariables).toContain('TEMPORAL_ADDRESS');
    expect(schemaVariables).toContain('TOURNIQUET_INTAKE_TOKEN_FALCO');
  });

  it('has a row for every variable the worker and intake schemas know', () => {
    const documented = new Set(tableVariables(doc));
    expect(schemaVariables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('gives each variable one row', () => {
    const rows = tableVariables(doc);
    expect(rows.filter((name, i) => rows.indexOf(name) !== i)).toEqual([]);
  });

  it('names no variable that nothing reads', () => {
    expect(mentionedVariables(doc).filter((name) => !known(name))).toEqual([]);
  });

  it('allows variables outside the schemas only where the named files read them', () => {
    const stale = Object.entries(readElsewhere).flatMap(([name, files]) =>
      files
        .filter((file) => !readFileSync(join(projectRoot, file), 'utf8').includes(name.replace(/\*$/, '')))
        .map((file) => `${name}: not in ${file}`),
    );
    expect(stale).toEqual([]);
  });

  it('expands the shorthand the table uses', () => {
    expect(expand('TOURNIQUET_INTAKE_TOKEN_{FALCO,ALERTMANAGER,GENERIC}')).toEqual([
      'TOURNIQUET_INTAKE_TOKEN_FALCO',
      'TOURNIQUET_INTAKE_TOKEN_ALERTMANAGER',
      'TOURNIQUET_INTAKE_TOKEN_GENERIC',
    ]);
    expect(tableVariables('| `A_B`, `C_{D,E}` | `F_G` default |')).toEqual(['A_B', 'C_D', 'C_E']);
  });
});
