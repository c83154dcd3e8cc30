/**
 * A PostgreSQL server of the cluster's own: a data directory in the cluster's folder (initdb once),
 * TCP on one loopback port, no Unix socket, password authentication for the one superuser
 * (`temporal`, password generated at initdb and kept next to the data, mode 0600).
 *
 * PostgreSQL refuses to run as root; when we are root (CI, containers) the server runs as the
 * `postgres` user that Debian's package creates, and owns its directory.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PostgresBinaries } from '../postgres-binaries';
import { startProcess, waitUntil, type ServerProcess } from './process';

export const PG_USER = 'temporal';

export interface Postgres {
  port: number;
  user: string;
  password: string;
  /** host:port, as Temporal's config wants it */
  address: string;
  process(): ServerProcess;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Who runs initdb and postgres: ourselves, or `postgres` when we are root. */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      "running as root, PostgreSQL needs a non-root user to run as, and there is no `postgres` user (Debian's postgresql package creates it)",
    );
  }
}

function initialise(bin: PostgresBinaries, dataDir: string, passwordFile: string, as: RunAs | undefined): void {
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dataDir, '..', 'initdb-password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (as) chownSync(pwfile, as.uid, as.gid);
  try {
    execFileSync(
      bin.initdb,
      [
        '-D',
        dataDir,
        '-U',
        PG_USER,
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-instructions',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) },
    );
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.stderr?.toString() || e.message}`, { cause: err });
  } finally {
    writeFileSync(pwfile, '');
  }
  // Loopback TCP only: no Unix socket (its default directory may not exist or be ours).
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    "\n# tourniquet cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n",
  );
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
}

/** A PostgreSQL on `port` with its data in `<dir>/postgres/` (created with initdb the first time). */
export function postgresIn(bin: PostgresBinaries, dir: string, port: number): Postgres {
  const as = runAs();
  const home = join(dir, 'postgres');
  const dataDir = join(home, 'data');
  const passwordFile = join(dir, 'postgres-password');
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (as) {
      // the postgres user must reach its directory: through ours (search only), into its own
      chmodSync(dir, 0o711);
      chownSync(home, as.uid, as.gid);
      chownSync(dataDir, as.uid, as.gid);
    }
    initialise(bin, dataDir, passwordFile, as);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const isReady = join(bin.bin, 'pg_isready');
  let proc: ServerProcess | undefined;
  return {
    port,
    user: PG_USER,
    password,
    address: `127.0.0.1:${port}`,
    process: () => {
      if (!proc) throw new Error('PostgreSQL is not started');
      return proc;
    },
    async start() {
      if (proc?.running()) return;
      proc = startProcess(bin.postgres, ['-D', dataDir, '-p', String(port)], { ...(as ?? {}) });
      const started = proc;
      await waitUntil(
        `PostgreSQL on 127.0.0.1:${port}`,
        started,
        async () => {
          try {
            execFileSync(isReady, ['-q', '-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', timeout: 5_000 });
            return true;
          } catch {
            return false;
          }
        },
        60_000,
      );
    },
    async stop() {
      // SIGINT: PostgreSQL's "fast" shutdown (disconnects clients, checkpoints, exits).
      await proc?.stop('SIGINT', 30_000);
    },
  };
}
