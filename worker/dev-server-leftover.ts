/**
 * Finding and stopping an embedded Temporal dev server that a killed `tourniquet dev` left
 * running. Only ever the process our own pid file names, and only while its command line is
 * still that binary with that database file: a pid reused by anything else is left alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

export function pidFileFor(dbFile: string): string {
  return `${dbFile}.pid`;
}

/** The process's arguments, or undefined when it is gone (or we cannot tell). */
function commandLine(pid: number): string[] | undefined {
  try {
    // Linux: exact arguments, NUL-separated
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // elsewhere (macOS): ps, split on spaces; good enough for the paths we write ourselves
    try {
      const line = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
      return line ? line.split(/\s+/) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Whether `args` are `<binary> server start-dev … --db-filename <dbFile> …`. */
export function isOurServer(args: string[] | undefined, binary: string, dbFile: string): boolean {
  if (!args || args.length === 0) return false;
  const db = args.indexOf('--db-filename');
  return (
    resolve(args[0]!) === resolve(binary) &&
    args[1] === 'server' &&
    args[2] === 'start-dev' &&
    db > 0 &&
    args[db + 1] !== undefined &&
    resolve(args[db + 1]!) === resolve(dbFile)
  );
}

/** Whether `args` are a Node process (a `tourniquet dev` stack runs under node, through tsx or bin/tourniquet). */
function isNode(args: string[] | undefined): boolean {
  return Boolean(args?.[0] && /(^|\/)node(\.exe)?$|tsx/.test(args[0]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/**
 * Stops the server a previous stack left behind for this database, if any; returns its pid when
 * it stopped one. SIGTERM first, so SQLite is closed cleanly; SIGKILL if it will not go.
 */
export async function stopLeftoverServer(
  binary: string,
  dbFile: string,
  log: (line: string) => void = console.error,
): Promise<number | undefined> {
  const pidFile = pidFileFor(dbFile);
  let pid: number;
  let owner: number;
  try {
    const recorded = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid?: unknown; owner?: unknown };
    pid = Number(recorded.pid);
    owner = Number(recorded.owner);
  } catch {
    return undefined; // no pid file (or an unreadable one): nothing of ours to stop
  }
  if (Number.isInteger(pid) && pid > 0 && isOurServer(commandLine(pid), binary, dbFile)) {
    // Its stack still running (a second `npm run dev` on the same data): that server is in use, not left behind.
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isNode(commandLine(owner))) {
      throw new Error(
        `another \`tourniquet dev\` (pid ${owner}) is running on ${dbFile}: stop it first, or use another TOURNIQUET_DATA_DIR`,
      );
    }
    log(`stopping the Temporal dev server (pid ${pid}) that a previous \`tourniquet dev\` left running on ${dbFile}`);
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, 10_000))) {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
    rmSync(pidFile, { force: true });
    return pid;
  }
  rmSync(pidFile, { force: true }); // stale: that server is gone, the pid is someone else's now
  return undefined;
}
