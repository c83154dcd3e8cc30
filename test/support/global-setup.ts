/**
 * One Temporal dev server (the real CLI binary, a temp SQLite file) and one workflow bundle for the
 * whole run; each suite gets its own task queue and workflow ids, so they never see each other.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureTemporalBinaries } from '../../tools/temporal-binaries';
import { bundleWorkflows } from '../../worker/worker';
import { DEV_SERVER_TUNING_ARGS, SQLITE_PRAGMA_ARGS } from '../../worker/dev-server';
import { writeTestKeys } from './keys';
import { freePort } from './ports';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** host:port of the run's server's HTTP API (the CLI's status and approve use it); '' with an existing cluster */
    temporalHttpAddress: string;
    workflowBundlePath: string;
    temporalCli: string;
    temporalTestServer: string;
  }
}

export default async function setup(project: TestProject) {
  const binaries = ensureTemporalBinaries((line) => console.error(line));
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-test-'));
  // An existing cluster (e.g. `npm run cluster`), namespace `default` with Tourniquet's search
  // attributes registered, instead of a dev server of the run's own: see docs/production.md.
  const existing = process.env.TOURNIQUET_TEST_TEMPORAL_ADDRESS;
  // as the embedded default serves it (worker/dev-server.ts)
  const httpPort = existing ? undefined : await freePort();
  const [env, bundle] = await Promise.all([
    existing
      ? { address: existing, teardown: async () => {} }
      : TestWorkflowEnvironment.createLocal({
          server: {
            executable: { type: 'existing-path', path: binaries.temporal },
            dbFilename: join(dir, 'temporal.db'),
            ip: '127.0.0.1',
            log: { format: 'pretty', level: 'error' },
            searchAttributes: [...SEARCH_ATTRIBUTES],
            // the same SQLite and server settings as the embedded default (worker/dev-server.ts)
            extraArgs: [...SQLITE_PRAGMA_ARGS, ...DEV_SERVER_TUNING_ARGS, '--http-port', String(httpPort)],
          },
        }),
    bundleWorkflows(),
  ]);
  // Test processes (forked after this) and the CLIs and workers they spawn inherit the keys' places.
  Object.assign(process.env, writeTestKeys(dir));
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);

  project.provide('temporalAddress', env.address);
  project.provide('temporalHttpAddress', httpPort ? `127.0.0.1:${httpPort}` : '');
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCli', binaries.temporal);
  project.provide('temporalTestServer', binaries['temporal-test-server']);

  return async () => {
    await env.teardown();
    await rm(dir, { recursive: true, force: true });
  };
}
