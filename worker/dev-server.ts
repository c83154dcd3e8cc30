/**
 * The embedded default: `temporal server start-dev` with a SQLite file, so incidents survive a
 * restart of the whole stack. Started in its own process group, so Ctrl-C reaches us first and
 * the worker drains before the server goes away.
 *
 * Being detached, the server outlives a stack killed with SIGKILL (nothing of ours runs then), and
 * would hold the port against the next start. So it leaves a pid file next to its database, and
 * the next start stops a server that pid file names — after checking the process is still that
 * binary serving that database, never a process that merely reused the pid — unless the stack
 * that started it is still running (a second `npm run dev` on the same data is refused instead).
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { pidFileFor, stopLeftoverServer } from './dev-server-leftover';
import { registrationArgs } from '../workflows/search-attributes';

export interface DevServerOptions {
  binary: string;
  dbFile: string;
  port: number;
  uiPort: number;
  /** Temporal's HTTP API (grpc-gateway), which the CLI's status and approve use: no gRPC client to load */
  httpPort?: number;
  namespace: string;
  /** how long closed incidents stay readable (`report --since`, postmortem exports); 30 days by default */
  retentionDays?: number;
}

/**
 * SQLite in WAL mode with `synchronous=NORMAL`: a commit is a write to the WAL file, with no fsync
 * on every commit (the dev server's default, rollback journal with `synchronous=FULL`, fsyncs
 * several times per commit, and under load SQLite was the bench's bottleneck). A committed
 * transaction survives the server process crashing or being killed: it is in the WAL, which the
 * next start replays. It may not survive the machine losing power or the OS crashing: the last
 * commits before that can roll back (the database stays consistent). Production runs on a real
 * cluster (docs/production.md).
 */
export const SQLITE_PRAGMA_ARGS: readonly string[] = ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'];

/**
 * Server settings of the embedded default (`--dynamic-config-value`); none changes what is durable.
 * `system.forceSearchAttributesCacheRefreshOnRead=false`: `temporal server start-dev` turns it on (a
 * search attribute added while it runs is usable at once), and then every start and every
 * visibility write reads the cluster metadata and the namespace again: about seven SQLite reads per
 * incident start, queued on the server's one SQLite connection with the start's own writes.
 * Tourniquet's search attributes are registered as the server starts (`--search-attribute`), before
 * anything reads them, so the cache (refreshed every 60 s) has them from the first read.
 * Not here: one task queue partition instead of four halved the server's CPU per start on a queue
 * nobody polls (`bench/start-cost.ts`), but opening alerts met the incidents' own work sooner and
 * their 202 came no sooner (docs/development.md).
 */
export const DEV_SERVER_TUNING_ARGS: readonly string[] = ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'];

/** The dev server creates its namespace with 24 h retention; `report --since 30d` needs more. */
export const DEFAULT_RETENTION_DAYS = 30;

export interface DevServer {
  address: string;
  /** host:port of the HTTP API, when started with one */
  httpAddress?: string;
  uiUrl: string;
  /** resolves with the exit code if the server stops for any reason (stop() included) */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Fails fast when a port is taken: otherwise we might "find" another server there (even a dying one of ours). */
async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is in use: is another Temporal or \`tourniquet dev\` running? Stop it, or choose other ports with TOURNIQUET_DEV_PORT / TOURNIQUET_DEV_UI_PORT / TOURNIQUET_DEV_HTTP_PORT.`
            : `cannot use port ${port} (${what}): ${err.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function waitUntilServing(address: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`temporal dev server exited (code ${exited}) before serving:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.withDeadline(Date.now() + 1_000, () => connection.workflowService.getSystemInfo({}));
        return;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() > deadline) throw new Error(`temporal dev server did not serve on ${address} within ${timeoutMs} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function setRetention(address: string, namespace: string, days: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msToTs(`${days} days`) } });
  } finally {
    await connection.close();
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await stopLeftoverServer(options.binary, options.dbFile);
  await assertPortFree(options.port, 'Temporal gRPC');
  await assertPortFree(options.uiPort, 'Temporal UI');
  if (options.httpPort !== undefined) await assertPortFree(options.httpPort, 'Temporal HTTP API');
  mkdirSync(dirname(options.dbFile), { recursive: true });
  const address = `127.0.0.1:${options.port}`;
  const child = spawn(
    options.binary,
    [
      'server',
      'start-dev',
      '--db-filename',
      options.dbFile,
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      ...(options.httpPort !== undefined ? ['--http-port', String(options.httpPort)] : []),
      '--namespace',
      options.namespace,
      '--log-level',
      'warn',
      ...registrationArgs('--search-attribute'),
      ...SQLITE_PRAGMA_ARGS,
      ...DEV_SERVER_TUNING_ARGS,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pidFile = pidFileFor(options.dbFile);
  if (child.pid !== undefined)
    writeFileSync(pidFile, `${JSON.stringify({ pid: child.pid, owner: process.pid, binary: options.binary, dbFile: options.dbFile })}\n`);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      rmSync(pidFile, { force: true });
      resolve(code);
    }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  try {
    await waitUntilServing(address, child, () => output);
    await setRetention(address, options.namespace, options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    ...(options.httpPort !== undefined ? { httpAddress: `127.0.0.1:${options.httpPort}` } : {}),
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    exited,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
