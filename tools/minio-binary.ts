/**
 * Finds MinIO, the S3-compatible server the S3 evidence-store suite runs against, building it when
 * missing. No release binary can be downloaded on this project's machines, so it is built from the
 * Go module proxy (`go install github.com/minio/minio@<version>`) into the git-ignored
 * `.tools/minio/<version>/`, once per machine, as Alertmanager is (./go-binary.ts).
 *
 * The version: the module proxy serves MinIO only as pseudo-versions; this one (February 2026) was
 * `@latest` when pinned, builds with the machine's Go 1.26, and supports Object Lock and
 * conditional writes (If-None-Match), which the store relies on. Looked up via MINIO, then
 * `.tools/minio/<version>/` (not PATH: the suite checks this version's behaviour).
 */
import { ensureGoBinary, findGoBinary, type GoBinary } from './go-binary';

export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

export class MinioBinaryError extends Error {
  override name = 'MinioBinaryError';
}

export const minio: GoBinary = {
  name: 'minio',
  module: 'github.com/minio/minio',
  version: MINIO_VERSION,
  override: 'MINIO',
  neededBy: 'the S3 evidence-store suite',
  setupScript: 'setup:minio',
  buildTime: 'a few minutes on 2 cores',
  error: MinioBinaryError,
};

/** The binary without building anything; throws the set-up hint when it is missing. */
export const findMinio = (): string => findGoBinary(minio);

/** The binary, built when missing. Quick when present. */
export const ensureMinio = (log?: (line: string) => void): string => ensureGoBinary(minio, log);
