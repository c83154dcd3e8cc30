/**
 * The boundaries in eslint.config.js bite: a new import cycle or an import against the layers fails
 * `npm run lint`. Small probe modules are written into the real folders (each in a fresh
 * `lint-probe-<uuid>` directory, removed afterwards) and linted with the project's own config, so
 * this checks the real zones and the real resolver, not a copy. Type-aware rules are switched off
 * for the probes: the boundaries need no type information and the run stays quick.
 */
import { ESLint } from 'eslint';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../worker/project-root';

const probe = `lint-probe-${randomUUID().slice(0, 8)}`;
const made: string[] = [];
let eslint: ESLint;

/** Writes `files` (paths relative to the probe directory inside `folder`) and returns their paths. */
function write(folder: string, files: Record<string, string>): string[] {
  const dir = join(projectRoot, folder, probe);
  made.push(dir);
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  });
}

/** The boundary errors ESLint reports per probe file: rule id and message. */
async function lint(paths: string[]): Promise<{ ruleId: string | null; message: string }[][]> {
  const results = await eslint.lintFiles(paths);
  return paths.map((path) =>
    (results.find((r) => r.filePath === path)?.messages ?? [])
      .filter(
        (m) => ['import-x/no-restricted-paths', 'tourniquet/no-import-cycle', 'no-restricted-syntax'].includes(m.ruleId ?? '') || m.fatal,
      )
      .map((m) => ({ ruleId: m.ruleId, message: m.message })),
  );
}

beforeAll(() => {
  // Probes a killed earlier run left behind would fail `npm run lint`: remove those (not a concurrent run's).
  for (const folder of ['workflows', 'redaction', 'activities', 'playbooks', 'client', 'worker', 'gateway', 'cli', 'test']) {
    for (const name of readdirSync(join(projectRoot, folder))) {
      const dir = join(projectRoot, folder, name);
      if (name.startsWith('lint-probe-') && Date.now() - statSync(dir).mtimeMs > 10 * 60_000) rmSync(dir, { recursive: true, force: true });
    }
  }
  eslint = new ESLint({ cwd: projectRoot, overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }] });
});

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('import cycles', () => {
  it('fails on a new cycle, type-only imports included, and shows the way round', async () => {
    const [a, b] = write('workflows', {
      'a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
    });
    const [errorsA, errorsB] = await lint([a!, b!]);
    expect(errorsA).toEqual([
      {
        ruleId: 'tourniquet/no-import-cycle',
        message: `import cycle: workflows/${probe}/a.ts → workflows/${probe}/b.ts → workflows/${probe}/a.ts`,
      },
    ]);
    expect(errorsB).toEqual([
      {
        ruleId: 'tourniquet/no-import-cycle',
        message: `import cycle: workflows/${probe}/b.ts → workflows/${probe}/a.ts → workflows/${probe}/b.ts`,
      },
    ]);
  });

  it('fails on a value cycle through a re-export and a dynamic import', async () => {
    const [a, b, c] = write('activities', {
      'a.ts': "export { B } from './b';\n",
      'b.ts': "import { C } from './c';\nexport const B = C + 1;\n",
      'c.ts': "export const C = 1;\nexport const later = () => import('./a');\n",
    });
    const [errorsA, errorsB, errorsC] = await lint([a!, b!, c!]);
    const loop = (...names: string[]) => `import cycle: ${names.map((n) => `activities/${probe}/${n}.ts`).join(' → ')}`;
    expect(errorsA).toEqual([{ ruleId: 'tourniquet/no-import-cycle', message: loop('a', 'b', 'c', 'a') }]);
    expect(errorsB).toEqual([{ ruleId: 'tourniquet/no-import-cycle', message: loop('b', 'c', 'a', 'b') }]);
    expect(errorsC).toEqual([{ ruleId: 'tourniquet/no-import-cycle', message: loop('c', 'a', 'b', 'c') }]);
  });

  it('passes an acyclic pair', async () => {
    const [a, b] = write('workflows', {
      'up.ts': "import type { Down } from './down';\nexport interface Up { down?: Down }\n",
      'down.ts': 'export interface Down { n: number }\n',
    });
    expect(await lint([a!, b!])).toEqual([[], []]);
  });
});

describe('layers', () => {
  const refused = (layer: string) => ({
    ruleId: 'import-x/no-restricted-paths',
    message: expect.stringContaining(layer) as unknown as string,
  });

  it('refuses an import from a layer above, even of a type', async () => {
    const [workflows, activities, redaction, client, worker] = [
      write('workflows', { 'w.ts': "import type { ActivityDeps } from '../../worker/worker';\nexport type W = ActivityDeps;\n" }),
      write('activities', { 'a.ts': "import { INCIDENT_WORKFLOW } from '../../client/incidents';\nexport const A = INCIDENT_WORKFLOW;\n" }),
      write('redaction', { 'r.ts': "import { playbooks } from '../../playbooks';\nexport const R = playbooks;\n" }),
      write('client', { 'c.ts': "import { loadConfig } from '../../worker/config';\nexport const C = loadConfig;\n" }),
      write('worker', {
        'k.ts': "import { createIntakeRouter } from '../../gateway/intake/router';\nexport const K = createIntakeRouter;\n",
      }),
    ].map((paths) => paths[0]!);
    expect(await lint([workflows!, activities!, redaction!, client!, worker!])).toEqual([
      [refused('workflows/ may import only itself')],
      [refused('activities/ may import only workflows/, redaction/')],
      [refused('redaction/ may import only workflows/')],
      [refused('client/ may import only workflows/, redaction/, activities/, playbooks/')],
      [refused('worker/ may import only workflows/, redaction/, activities/, playbooks/')],
    ]);
  });

  it('refuses run-time imports of tools/, test/ and bench/', async () => {
    const [worker] = write('worker', {
      't.ts': "import { projectRoot } from '../../tools/temporal-binaries';\nexport const T = projectRoot;\n",
    });
    const [gateway] = write('gateway', {
      't.ts': "import { DEMO_ROUTES } from '../../test/support/routes';\nexport const T = DEMO_ROUTES;\n",
    });
    const [cli] = write('cli', {
      't.ts': "import { ensureTemporalBinaries } from '../../tools/temporal-binaries';\nexport const T = ensureTemporalBinaries;\n",
    });
    const [tools, errorsGateway, errorsCli] = await lint([worker!, gateway!, cli!]);
    expect(tools).toEqual([refused('worker/ may import only')]);
    expect(errorsGateway).toEqual([refused('gateway/ may import only')]);
    expect(errorsCli).toEqual([refused('only cli/dev.ts may use the installers in tools/')]);
  });

  it('keeps the gateway off the worker itself, but lets it use the worker configuration', async () => {
    const [worker, config] = write('gateway', {
      'w.ts': "import { activityDepsFromConfig } from '../../worker/worker';\nexport const W = activityDepsFromConfig;\n",
      'c.ts':
        "import { loadConfig } from '../../worker/config';\nimport { incidentUrlFor } from '../../worker/incident-url';\nexport const C = [loadConfig, incidentUrlFor];\n",
    });
    expect(await lint([worker!, config!])).toEqual([[refused('never the worker itself or its workflow bundle')], []]);
  });

  it('allows what the layer map allows, and lets tests import anything', async () => {
    const [gateway] = write('gateway', {
      'ok.ts':
        "import { startIncident } from '../../client/incidents';\nimport { redactForHistory } from '../../redaction';\nexport const G = [startIncident, redactForHistory];\n",
    });
    const [cli] = write('cli', {
      'ok.ts': "import { gatewayDepsFromConfig } from '../../gateway/deps';\nexport const C = gatewayDepsFromConfig;\n",
    });
    const [test] = write('test', {
      'ok.ts':
        "import { ensureTemporalBinaries } from '../../tools/temporal-binaries';\nimport { activityDepsFromConfig } from '../../worker/worker';\nexport const T = [ensureTemporalBinaries, activityDepsFromConfig];\n",
    });
    expect(await lint([gateway!, cli!, test!])).toEqual([[], [], []]);
  });
});

describe('failure types', () => {
  it('refuses a failure type spelled as a string at a throw site, and takes the catalogue', async () => {
    const [bad, good] = write('activities', {
      'bad.ts': [
        "import { ApplicationFailure } from '@temporalio/common';",
        "export const a = () => ApplicationFailure.nonRetryable('no', 'SomethingNew');",
        "export const b = () => ApplicationFailure.create({ message: 'no', type: 'SomethingElse' });",
        '',
      ].join('\n'),
      'good.ts': [
        "import { ApplicationFailure } from '@temporalio/common';",
        "import { FAILURE_TYPES } from '../../workflows/failure-types';",
        "export const a = () => ApplicationFailure.nonRetryable('no', FAILURE_TYPES.AlreadyQuarantined);",
        "export const b = (code: string) => ApplicationFailure.create({ message: 'no', type: code });",
        '',
      ].join('\n'),
    });
    const catalogue = {
      ruleId: 'no-restricted-syntax',
      message: 'failure types come from FAILURE_TYPES (workflows/failure-types.ts), never a string',
    };
    expect(await lint([bad!, good!])).toEqual([[catalogue, catalogue], []]);
  });
});

describe('zod in workflow code', () => {
  it('refuses the checks that test a regex zod keeps at module level (frozen with the shared zod), and takes .regex()', async () => {
    const [bad, good] = write('workflows', {
      'bad.ts': [
        "import { ApplicationFailure } from '@temporalio/workflow';",
        "import { z } from 'zod';",
        'export const a = z.email();',
        'export const b = z.string().trim().lowercase();',
        'export const c = z.iso.date();',
        'export const d = z.ipv4();',
        "export const e = () => ApplicationFailure.nonRetryable('no', 'SomethingNew');",
        '',
      ].join('\n'),
      'good.ts': [
        "import { z } from 'zod';",
        'export const a = z.string().regex(/^[a-z]+@[a-z.]+$/);',
        'export const b = z.iso.datetime({ offset: true });',
        'export const c = z.date();',
        'export const d = z.uuid();',
        '',
      ].join('\n'),
    });
    // outside workflow code zod is not shared, so nothing is frozen
    const [outside] = write('activities', { 'email.ts': "import { z } from 'zod';\nexport const a = z.email();\n" });
    const frozen = {
      ruleId: 'no-restricted-syntax',
      message:
        'in workflow code this zod check tests a regex zod keeps at module level, frozen with the shared zod (workflows/shared-libraries.ts): every parse throws a TypeError. Use .regex(/…/)',
    };
    const catalogue = {
      ruleId: 'no-restricted-syntax',
      message: 'failure types come from FAILURE_TYPES (workflows/failure-types.ts), never a string',
    };
    expect(await lint([bad!, good!, outside!])).toEqual([[frozen, frozen, frozen, frozen, catalogue], [], []]);
  });
});
