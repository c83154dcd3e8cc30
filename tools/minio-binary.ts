/**
 * Finds MinIO, the S3-compatible server the S3 evidence-store suite runs against, building it when
 * missing. No release binary can be downloaded on this project's machines, so it is built from the
 * Go module proxy (`go install github.com/minio/minio@<version>`) into the git-ignored
 * `.tools/minio/<version>/`, once per machine, as Alertmanager is (./alertmanager-binary.ts).
 *
 * The version: the module proxy serves MinIO only as pseudo-versions; this one (February 2026) was
 * `@latest` when pinned, builds with the machine's Go 1.26, and supports Object Lock and
 * conditional writes (If-None-Match), which the store relies on. Looked up via MINIO, then
 * `.tools/minio/<version>/` (not PATH: the suite checks this version's behaviour).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, onPath } from './executables';
import { projectRoot } from './temporal-binaries';

export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const MODULE = 'github.com/minio/minio';

export const minioToolsDir = (): string => join(projectRoot, '.tools', 'minio', MINIO_VERSION);

export class MinioBinaryError extends Error {
  override name = 'MinioBinaryError';
}

/** The binary without building anything; throws the set-up hint when it is missing. */
export function findMinio(): string {
  const override = process.env.MINIO;
  if (override) {
    if (!isExecutable(override)) throw new MinioBinaryError(`MINIO=${override} is not an executable file`);
    return override;
  }
  const local = join(minioToolsDir(), 'minio');
  if (isExecutable(local)) return local;
  throw new MinioBinaryError(
    `the S3 evidence-store suite needs minio ${MINIO_VERSION}, not found via MINIO or in ${minioToolsDir()}. ` +
      'Run `npm run setup:minio` (CI does this in .ci/run).',
  );
}

function build(log: (line: string) => void): void {
  const go = process.env.GO ?? onPath('go');
  if (!go) throw new MinioBinaryError('cannot build minio: no `go` on PATH. Install Go, or set MINIO to an existing binary.');
  const outDir = minioToolsDir();
  const partial = join(outDir, `partial-${process.pid}`);
  mkdirSync(partial, { recursive: true });
  log(
    `building minio ${MINIO_VERSION} from the Go module proxy into ${outDir} (once per machine; a few minutes on 2 cores with an empty Go build cache)`,
  );
  const started = Date.now();
  try {
    execFileSync(go, ['install', '-trimpath', '-ldflags', '-s -w', `${MODULE}@${MINIO_VERSION}`], {
      cwd: outDir,
      stdio: 'inherit',
      // -mod=mod: its go.mod is taken as published; GOTOOLCHAIN=local: never fetch another Go
      env: { ...process.env, GOBIN: partial, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    });
    // Renamed only when complete, so an interrupted build never leaves a binary that looks usable.
    renameSync(join(partial, 'minio'), join(outDir, 'minio'));
  } catch (err) {
    throw new MinioBinaryError(
      `go install of minio ${MINIO_VERSION} failed (${(err as Error).message}). Check that the Go module proxy is reachable, or set MINIO.`,
      { cause: err },
    );
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  log(`built minio in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The binary, built when missing. Quick when present. */
export function ensureMinio(log: (line: string) => void = () => {}): string {
  try {
    return findMinio();
  } catch (err) {
    if (!(err instanceof MinioBinaryError) || process.env.MINIO) throw err;
  }
  build(log);
  return findMinio();
}
