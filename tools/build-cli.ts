/**
 * Compiles the `tourniquet` command into dist/ (`npm run build`; `npm install` runs it as `prepare`).
 * tsx compiles the TypeScript on every call and Node then resolves hundreds of package files: about
 * a second before the CLI does anything. One esbuild bundle, with the Temporal client inside it and
 * every command's heavy modules in chunks loaded only by that command, starts in a fraction of that.
 *
 * dist/build-info.json lists every file the bundle was built from and when the build started:
 * bin/tourniquet runs dist/ only while none of them is newer, and the TypeScript through tsx
 * otherwise, so an edit is never run stale.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from './temporal-binaries';

/**
 * Left to Node's resolver: packages with native code or their own file layout at run time (the
 * worker's Rust core and webpack, for `dev`), and packages only rare commands load, which bundle
 * nothing faster. Each is a direct dependency, so it resolves from dist/ as from the sources.
 */
export const EXTERNAL = [
  '@temporalio/worker',
  '@temporalio/core-bridge',
  '@temporalio/testing',
  '@swc/*',
  'webpack',
  '@kubernetes/client-node',
  '@slack/bolt',
  '@slack/web-api',
  '@octokit/*',
  'express',
  'pino',
  'pino-pretty',
  'prom-client',
  'libsodium-wrappers',
  'tsx',
  'esbuild',
];

export const DIST = join(projectRoot, 'dist');

export async function buildCli(): Promise<{ inputs: number; ms: number }> {
  const started = Date.now();
  const { build } = await import('esbuild');
  rmSync(DIST, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: projectRoot,
    entryPoints: { tourniquet: 'cli/main.ts' },
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    external: EXTERNAL,
    logLevel: 'warning',
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __tourniquetRequire } from 'node:module'; const require = __tourniquetRequire(import.meta.url);" },
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(projectRoot, join(projectRoot, p)));
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, 'build-info.json'), `${JSON.stringify({ startedAt: started, inputs }, null, 1)}\n`);
  return { inputs: inputs.length, ms: Date.now() - started };
}

if (process.argv[1] && relative(process.argv[1], new URL(import.meta.url).pathname) === '') {
  try {
    await import('esbuild');
  } catch {
    // `npm ci --omit=dev` (the Docker image) has no esbuild: bin/tourniquet runs the sources through tsx.
    console.log('tourniquet: esbuild is not installed (production install); the CLI runs from source');
    process.exit(0);
  }
  const { inputs, ms } = await buildCli();
  console.log(`tourniquet: compiled the CLI into dist/ (${inputs} files, ${ms} ms)`);
}
