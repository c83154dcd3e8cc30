/**
 * Finds the real Temporal server (`temporal-server`) and its SQL schema tool (`temporal-sql-tool`)
 * for the PostgreSQL cluster (tools/cluster/), building them when missing. No release binary can be
 * downloaded on this project's machines, so both are built from the Go module proxy into the
 * git-ignored `.tools/temporal-server/<version>/`, once per machine, as Alertmanager is
 * (./alertmanager-binary.ts). The PostgreSQL schemas the server's own tool applies are copied from
 * the module next to the binaries (`schema/postgresql/v12/{temporal,visibility}/versioned`).
 *
 * The module needs Go >= 1.26.10; go1.27.3 is the toolchain the Go module proxy serves, so the
 * build names it in GOTOOLCHAIN (the go command fetches it from the proxy once). Looked up via
 * TEMPORAL_SERVER_DIR (a folder holding both binaries and `schema/`), then `.tools/`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, onPath } from './executables';
import { projectRoot } from './temporal-binaries';

export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
const MODULE = 'go.temporal.io/server';
const GO_TOOLCHAIN = 'go1.27.3';
const SCHEMAS = ['temporal', 'visibility'] as const;

export interface TemporalServerBinaries {
  dir: string;
  server: string;
  sqlTool: string;
  /** `<dir>/schema/postgresql/v12/<name>/versioned`, as `temporal-sql-tool update-schema -d` takes it */
  schemaDir: Record<(typeof SCHEMAS)[number], string>;
}

export const temporalServerToolsDir = (): string => join(projectRoot, '.tools', 'temporal-server', TEMPORAL_SERVER_VERSION);

export class TemporalServerBinaryError extends Error {
  override name = 'TemporalServerBinaryError';
}

function layout(dir: string): TemporalServerBinaries {
  const schemaDir = Object.fromEntries(SCHEMAS.map((s) => [s, join(dir, 'schema', 'postgresql', 'v12', s, 'versioned')]));
  return {
    dir,
    server: join(dir, 'temporal-server'),
    sqlTool: join(dir, 'temporal-sql-tool'),
    schemaDir: schemaDir as TemporalServerBinaries['schemaDir'],
  };
}

function complete(b: TemporalServerBinaries): boolean {
  return isExecutable(b.server) && isExecutable(b.sqlTool) && Object.values(b.schemaDir).every((d) => existsSync(d));
}

/** The binaries without building anything; throws the set-up hint when they are missing. */
export function findTemporalServer(): TemporalServerBinaries {
  const override = process.env.TEMPORAL_SERVER_DIR;
  if (override) {
    const found = layout(override);
    if (!complete(found))
      throw new TemporalServerBinaryError(
        `TEMPORAL_SERVER_DIR=${override} lacks temporal-server, temporal-sql-tool or schema/postgresql/v12/`,
      );
    return found;
  }
  const local = layout(temporalServerToolsDir());
  if (complete(local)) return local;
  throw new TemporalServerBinaryError(
    `the PostgreSQL cluster needs temporal-server ${TEMPORAL_SERVER_VERSION}, not found via TEMPORAL_SERVER_DIR or in ` +
      `${temporalServerToolsDir()}. Run \`npm run setup:cluster\` (CI does this in .ci/run).`,
  );
}

function goEnv(go: string, name: string, env: NodeJS.ProcessEnv): string {
  return execFileSync(go, ['env', name], { encoding: 'utf8', env }).trim();
}

function build(log: (line: string) => void): void {
  const go = process.env.GO ?? onPath('go');
  if (!go)
    throw new TemporalServerBinaryError(
      'cannot build temporal-server: no `go` on PATH. Install Go (1.21 or newer fetches the toolchain it needs), or set TEMPORAL_SERVER_DIR.',
    );
  const out = layout(temporalServerToolsDir());
  const partial = join(out.dir, `partial-${process.pid}`);
  mkdirSync(partial, { recursive: true });
  log(
    `building temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} from the Go module proxy into ${out.dir} ` +
      `(once per machine; about 6.5 CPU-minutes with an empty Go build cache)`,
  );
  const started = Date.now();
  // -mod=mod: the module's go.mod is taken as published; the toolchain it needs comes from the proxy.
  const env = { ...process.env, GOBIN: partial, GOFLAGS: '-mod=mod', GOTOOLCHAIN: GO_TOOLCHAIN, CGO_ENABLED: '0' };
  try {
    execFileSync(go, ['install', `${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], {
      cwd: out.dir,
      stdio: 'inherit',
      env,
    });
    // The schemas of exactly this version, from the module the binaries were built from.
    const moduleDir = join(goEnv(go, 'GOMODCACHE', env), `${MODULE}@${TEMPORAL_SERVER_VERSION}`);
    for (const schema of SCHEMAS) {
      const from = join(moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned');
      const to = join(partial, 'schema', 'postgresql', 'v12', schema, 'versioned');
      cpSync(from, to, { recursive: true });
    }
    // Moved only when complete, so an interrupted build never leaves binaries that look usable.
    rmSync(join(out.dir, 'schema'), { recursive: true, force: true });
    renameSync(join(partial, 'schema'), join(out.dir, 'schema'));
    renameSync(join(partial, 'sql'), out.sqlTool);
    renameSync(join(partial, 'server'), out.server);
  } catch (err) {
    throw new TemporalServerBinaryError(
      `building temporal-server ${TEMPORAL_SERVER_VERSION} failed (${(err as Error).message}). Check that the Go module proxy is reachable, or set TEMPORAL_SERVER_DIR.`,
      { cause: err },
    );
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  log(`built temporal-server in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The binaries, built when missing. Quick when present. */
export function ensureTemporalServer(log: (line: string) => void = () => {}): TemporalServerBinaries {
  try {
    return findTemporalServer();
  } catch (err) {
    if (!(err instanceof TemporalServerBinaryError) || process.env.TEMPORAL_SERVER_DIR) throw err;
  }
  build(log);
  return findTemporalServer();
}
