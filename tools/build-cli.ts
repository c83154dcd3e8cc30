/**
 * Compiles the `tourniquet` command into dist/ (`npm run build`; `npm install` runs it as `prepare`).
 * tsx compiles the TypeScript on every call and Node then resolves hundreds of package files: about
 * a second before the CLI does anything. One CommonJS file from esbuild, the Temporal client inside
 * it, every command's own modules initialised only when that command runs, starts in a fraction of
 * that; bin/tourniquet also keeps V8's code cache for it (dist/tourniquet.cjs.cache), so later runs
 * skip compiling it. Measured on this project's machine (docs/development.md): CommonJS with the code
 * cache took about 40% less CPU for `status` than an ES module bundle split into per-command chunks.
 *
 * dist/build-info.json lists every file the bundle was built from and when the build started:
 * bin/tourniquet runs dist/ only while none of them is newer, and the TypeScript through tsx
 * otherwise, so an edit is never run stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { temporalProtoPlugin } from './cli-proto-plugin';
import { projectRoot } from './temporal-binaries';

/**
 * Left to Node's resolver: packages with native code or their own file layout at run time (the
 * worker's Rust core and webpack, for `dev`), and CommonJS packages only `dev` loads. Each is a
 * direct dependency, so it resolves from dist/ as from the sources.
 */
export const EXTERNAL = [
  '@temporalio/worker',
  '@temporalio/core-bridge',
  '@temporalio/testing',
  '@swc/*',
  'webpack',
  '@kubernetes/client-node',
  '@octokit/*',
  '@slack/bolt',
  '@slack/web-api',
  'express',
  'pino',
  'pino-pretty',
  'prom-client',
  'libsodium-wrappers',
  'tsx',
  'esbuild',
  // only verify-evidence and export load it, and only with TOURNIQUET_EVIDENCE_S3_BUCKET set
  '@aws-sdk/client-s3',
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
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Without comments (licences go to dist/tourniquet.cjs.LEGAL.txt) the file is ASCII: esbuild
    // escapes the rest, and Node reads an ASCII file in a fraction of the time a UTF-8 one takes
    // (a few ms instead of ~30 for a few MB), and V8 keeps it as one byte per character.
    minifyWhitespace: true,
    legalComments: 'linked',
    metafile: true,
    external: EXTERNAL,
    plugins: [temporalProtoPlugin()],
    logLevel: 'warning',
    // import() becomes require(): the bundle runs as a vm.Script (for its code cache), where Node's
    // dynamic import needs a callback it does not always get; every external here loads with require.
    supported: { 'dynamic-import': false },
    // Paths computed from a module's own location (projectRoot) still work: dist/ is one level deep, as tools/ is.
    define: { 'import.meta.url': '__tourniquetModuleUrl', 'import.meta.dirname': '__dirname' },
    banner: { js: "const __tourniquetModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // The project's own files; packages change only through npm install, which rebuilds (`prepare`) and
  // rewrites package-lock.json. Checking ~250 files instead of ~1,500 keeps the check to a few ms.
  const inputs = [
    ...Object.keys(result.metafile.inputs)
      .map((p) => relative(projectRoot, join(projectRoot, p)))
      .filter((p) => !p.split(sep).includes('node_modules')),
    'package-lock.json',
  ];
  const nonAscii = readFileSync(join(DIST, 'tourniquet.cjs')).findIndex((byte) => byte > 0x7f);
  if (nonAscii >= 0) throw new Error(`dist/tourniquet.cjs has a non-ASCII byte at offset ${nonAscii}; every call would read it slower`);
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, 'build-info.json'), `${JSON.stringify({ startedAt: started, inputs }, null, 1)}\n`);
  // The first run writes V8's code cache (bin/tourniquet): this one, loading what status and approve load.
  execFileSync(process.execPath, [join(projectRoot, 'bin/tourniquet'), 'load-modules'], { stdio: 'inherit' });
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
