/**
 * One Go program built from the module proxy into the git-ignored `.tools/<name>/<version>/`, once
 * per machine: how the test servers that have no downloadable release here (Alertmanager, MinIO)
 * are found and built. An override variable (ALERTMANAGER, MINIO) points at an existing binary
 * instead; PATH is never searched, because the suites check the pinned version's behaviour.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, onPath } from './executables';
import { projectRoot } from './temporal-binaries';

export interface GoBinary {
  /** the executable's name, and the folder under .tools/ */
  name: string;
  /** the package `go install` builds */
  module: string;
  version: string;
  /** the variable that points at an existing binary instead */
  override: string;
  /** `go install -ldflags` beyond stripping (a version stamp) */
  ldflags?: string;
  /** what needs it and how long a cold build takes, for the messages */
  neededBy: string;
  setupScript: string;
  buildTime: string;
  /** the error class its installer and suites recognise */
  error: new (message: string, options?: ErrorOptions) => Error;
}

export const goBinaryDir = (b: GoBinary): string => join(projectRoot, '.tools', b.name, b.version);

/** The binary without building anything; throws the set-up hint when it is missing. */
export function findGoBinary(b: GoBinary): string {
  const override = process.env[b.override];
  if (override) {
    if (!isExecutable(override)) throw new b.error(`${b.override}=${override} is not an executable file`);
    return override;
  }
  const local = join(goBinaryDir(b), b.name);
  if (isExecutable(local)) return local;
  throw new b.error(
    `${b.neededBy} needs ${b.name} ${b.version}, not found via ${b.override} or in ${goBinaryDir(b)}. ` +
      `Run \`npm run ${b.setupScript}\` (CI does this in .ci/run).`,
  );
}

function build(b: GoBinary, log: (line: string) => void): void {
  const go = process.env.GO ?? onPath('go');
  if (!go) throw new b.error(`cannot build ${b.name}: no \`go\` on PATH. Install Go, or set ${b.override} to an existing binary.`);
  const outDir = goBinaryDir(b);
  const partial = join(outDir, `partial-${process.pid}`);
  mkdirSync(partial, { recursive: true });
  log(
    `building ${b.name} ${b.version} from the Go module proxy into ${outDir} (once per machine; ${b.buildTime} with an empty Go build cache)`,
  );
  const started = Date.now();
  try {
    const ldflags = ['-s -w', ...(b.ldflags ? [b.ldflags] : [])].join(' ');
    execFileSync(go, ['install', '-trimpath', '-ldflags', ldflags, `${b.module}@${b.version}`], {
      cwd: outDir,
      stdio: 'inherit',
      // -mod=mod: its go.mod is taken as published; GOTOOLCHAIN=local: never fetch another Go
      env: { ...process.env, GOBIN: partial, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    });
    // Renamed only when complete, so an interrupted build never leaves a binary that looks usable.
    renameSync(join(partial, b.name), join(outDir, b.name));
  } catch (err) {
    throw new b.error(
      `go install of ${b.name} ${b.version} failed (${(err as Error).message}). Check that the Go module proxy is reachable, or set ${b.override}.`,
      { cause: err },
    );
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  log(`built ${b.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The binary, built when missing. Quick when present. */
export function ensureGoBinary(b: GoBinary, log: (line: string) => void = () => {}): string {
  try {
    return findGoBinary(b);
  } catch (err) {
    if (!(err instanceof b.error) || process.env[b.override]) throw err;
  }
  build(b, log);
  return findGoBinary(b);
}

/** `npm run <setupScript>`: the binary built when missing; where it is with --verbose or in CI; exit 1 with the hint. */
export function runGoBinaryInstaller(b: GoBinary): void {
  const tag = `[${b.setupScript}]`;
  try {
    const started = Date.now();
    const found = ensureGoBinary(b, (line) => console.error(`${tag} ${line}`));
    if (process.env.CI || process.argv.includes('--verbose')) {
      const version = execFileSync(found, ['--version'], { encoding: 'utf8' }).split('\n')[0];
      console.error(`${tag} ${b.name}: ${found} (${version})`);
      console.error(`${tag} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    if (err instanceof b.error) {
      console.error(`${tag} ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
