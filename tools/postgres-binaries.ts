/**
 * Finds PostgreSQL's server binaries (initdb, pg_ctl, postgres) from Debian's `postgresql` package
 * for the local cluster, installing the package with apt-get when running as root and it is missing.
 * Debian keeps them off PATH, in /usr/lib/postgresql/<major>/bin; PG_BIN overrides.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, onPath } from './executables';

export interface PostgresBinaries {
  bin: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
}

export class PostgresBinaryError extends Error {
  override name = 'PostgresBinaryError';
}

const DEBIAN_ROOT = '/usr/lib/postgresql';

function inDir(bin: string): PostgresBinaries | undefined {
  const found = { bin, initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl'), postgres: join(bin, 'postgres') };
  return isExecutable(found.initdb) && isExecutable(found.pgCtl) && isExecutable(found.postgres) ? found : undefined;
}

/** PG_BIN, then Debian's newest major version, then PATH; undefined when none has all three. */
export function findPostgres(): PostgresBinaries | undefined {
  if (process.env.PG_BIN) {
    const found = inDir(process.env.PG_BIN);
    if (!found) throw new PostgresBinaryError(`PG_BIN=${process.env.PG_BIN} lacks initdb, pg_ctl or postgres`);
    return found;
  }
  if (existsSync(DEBIAN_ROOT)) {
    const majors = readdirSync(DEBIAN_ROOT)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const found = inDir(join(DEBIAN_ROOT, major, 'bin'));
      if (found) return found;
    }
  }
  const initdb = onPath('initdb');
  return initdb ? inDir(join(initdb, '..')) : undefined;
}

function install(log: (line: string) => void): void {
  const apt = onPath('apt-get');
  if (!apt || process.getuid?.() !== 0) {
    throw new PostgresBinaryError(
      'PostgreSQL is missing. On Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y postgresql` ' +
        '(12 or newer), or set PG_BIN to the folder holding initdb, pg_ctl and postgres.',
    );
  }
  log('installing PostgreSQL with apt-get (Debian package postgresql)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const wait = ['-o', 'DPkg::Lock::Timeout=300']; // another apt-get (CI installs more) may hold the lock
  try {
    execFileSync(apt, [...wait, 'update', '-q'], { stdio: 'inherit', env });
    execFileSync(apt, [...wait, 'install', '-y', '-q', 'postgresql'], { stdio: 'inherit', env });
  } catch (err) {
    throw new PostgresBinaryError(`apt-get could not install postgresql (${(err as Error).message}); or set PG_BIN.`, { cause: err });
  }
}

/** The binaries, installed when missing (as root). Quick when present. */
export function ensurePostgres(log: (line: string) => void = () => {}): PostgresBinaries {
  const found = findPostgres();
  if (found) return found;
  install(log);
  const installed = findPostgres();
  if (!installed) throw new PostgresBinaryError(`apt-get installed postgresql, but no initdb was found under ${DEBIAN_ROOT}/*/bin`);
  return installed;
}
