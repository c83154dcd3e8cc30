/**
 * The bench's own Tourniquet stack: an embedded Temporal dev server (real CLI binary, SQLite file in
 * a temp dir) or, when TEMPORAL_ADDRESS is set, that cluster; one worker in this process with the measuring probes as its dependencies, and the
 * client on that worker's NativeConnection (its starts can be eager). `stop()` undoes all of it.
 */
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parsePolicyFile } from '../activities/approvals/policies';
import { ensureTemporalBinaries } from '../tools/temporal-binaries';
import { buildActivityDeps, bundleWorkflows, createWorker, trustFromConfig, type WorkerTuning } from '../worker/worker';
import { DEV_SERVER_TUNING_ARGS, SQLITE_PRAGMA_ARGS } from '../worker/dev-server';
import { freePort } from '../test/support/ports';
import { ensureKeys } from '../client/signing';
import { ActionStartWorld, GateOpenNotifier } from './probes';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export const BENCH_POLICIES = {
  policies: {
    // Long enough for BENCH_WAITING's whole set to stay open while it fills (10,000 take minutes).
    standard: { approvers: ['alice', 'bob', 'carol'], quorum: 1, timeout: '3h' },
    // Not measured here, but every registered playbook's default policy must exist (break-glass's).
    'two-person': { approvers: ['alice', 'bob', 'carol'], quorum: 2, timeout: '10m' },
  },
};

export interface BenchStack {
  /**
   * on the worker's NativeConnection, as `npm run dev`'s gateway is: Tourniquet's starts can be eager
   * (client/eager-start.ts); the floor's use the same connection with Temporal's default (not eager)
   */
  client: Client;
  /**
   * BENCH_EAGER_START (1; 0: Tourniquet's starts are not eager either, to compare; alternate: every
   * other incident eager, so both kinds meet the same machine load, reported apart)
   */
  eagerStart: boolean | 'alternate';
  /** host:port of the server's gRPC frontend, for the bench's other processes (gateway, CLI) */
  address: string;
  /** workflow starts through `client` so far, and how many of them the server started eagerly */
  starts: { total: number; eager: number };
  /** the worker's connection, for other workers on the same server (the floor) */
  connection: NativeConnection;
  taskQueue: string;
  /** the bench's Tourniquet worker (its status: cached workflows; its options: cache size) */
  worker: Worker;
  notifier: GateOpenNotifier;
  world: ActionStartWorld;
  serverStartMs: number;
  bundleMs: number;
  /** host:port of the server's HTTP API, which the CLI's status and approve use: the dev server's, or TEMPORAL_HTTP_ADDRESS */
  httpAddress: string | undefined;
  /** RSS and CPU time of this process's child processes (the dev server), when /proc can tell */
  serverStats(): ProcessStats | undefined;
  /** the dev server's Prometheus metrics text, with BENCH_SERVER_METRICS set (else undefined) */
  serverMetrics(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** What the bench uses of a Temporal server: its own dev server's environment, or an existing cluster's connections. */
interface BenchEnv {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  teardown(): Promise<void>;
}

/** TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE): a cluster someone runs, e.g. `npm run cluster`. */
async function connectExisting(address: string): Promise<BenchEnv> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address }).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  return {
    address,
    client: new Client({ connection, namespace }),
    nativeConnection,
    namespace,
    async teardown() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export async function startStack(log: (line: string) => void): Promise<BenchStack> {
  const existing = process.env.TEMPORAL_ADDRESS;
  const binaries = existing ? undefined : ensureTemporalBinaries(log);
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-bench-'));
  // The embedded default serves Temporal's HTTP API too (worker/dev-server.ts); so does the bench's server.
  const httpAddress = existing ? process.env.TEMPORAL_HTTP_ADDRESS : `127.0.0.1:${await freePort()}`;
  // BENCH_SERVER_METRICS: the dev server's Prometheus endpoint on a known port, for serverMetrics()
  const metricsPort = !existing && process.env.BENCH_SERVER_METRICS ? await freePort() : undefined;
  const t0 = performance.now();
  let serverStartMs = 0;
  let bundleMs = 0;
  const [envResult, bundleResult] = await Promise.allSettled([
    (existing
      ? connectExisting(existing)
      : TestWorkflowEnvironment.createLocal({
          server: {
            executable: { type: 'existing-path', path: binaries!.temporal },
            ip: '127.0.0.1',
            dbFilename: join(dir, 'temporal.db'),
            searchAttributes: [...SEARCH_ATTRIBUTES],
            // the embedded default's SQLite settings (BENCH_SQLITE_WAL=0: the dev server's own, to compare)
            extraArgs: [
              ...(process.env.BENCH_SQLITE_WAL === '0' ? [] : SQLITE_PRAGMA_ARGS),
              ...sqlitePragmaArgs(),
              // the embedded default's server settings (BENCH_DEV_TUNING=0: start-dev's own, to compare)
              ...(process.env.BENCH_DEV_TUNING === '0' ? [] : DEV_SERVER_TUNING_ARGS),
              '--http-port',
              httpAddress!.split(':')[1]!,
              ...dynamicConfigArgs(),
              ...(metricsPort ? ['--metrics-port', String(metricsPort)] : []),
            ],
          },
        })
    ).then((env) => ((serverStartMs = performance.now() - t0), env)),
    bundleWorkflows().then((bundle) => ((bundleMs = performance.now() - t0), bundle)),
  ]);
  if (envResult.status === 'rejected' || bundleResult.status === 'rejected') {
    if (envResult.status === 'fulfilled') await envResult.value.teardown().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw envResult.status === 'rejected' ? envResult.reason : (bundleResult as PromiseRejectedResult).reason;
  }
  const env: BenchEnv = envResult.value as BenchEnv;
  // BENCH_BUNDLE_MAP=<file>: the workflow bundle's source map, for bench/cpu-profile-layers.mjs to
  // tell the SDK's workflow code from ours in the workflow thread's profile
  if (process.env.BENCH_BUNDLE_MAP) writeFileSync(process.env.BENCH_BUNDLE_MAP, inlineSourceMap(bundleResult.value.code));

  const notifier = new GateOpenNotifier();
  const world = new ActionStartWorld(join(dir, 'demo'));
  // The bench's approvers sign as people do: a key each, found by the client in TOURNIQUET_KEYS_DIR.
  const keysDir = join(dir, 'keys');
  const { allowedSigners } = ensureKeys(keysDir, ['alice', 'bob', 'carol']);
  process.env.TOURNIQUET_KEYS_DIR = keysDir;
  const deps = buildActivityDeps({
    trust: trustFromConfig({ decisions: { mode: 'signed', allowedSignersPath: allowedSigners } }),
    policies: parsePolicyFile(BENCH_POLICIES, 'bench policies'),
    evidenceDir: join(dir, 'evidence'),
    demoWorld: world,
    notifiers: [notifier],
  });
  const taskQueue = `bench-${randomUUID()}`;

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps,
      workflowBundle: bundleResult.value,
      // The worker's own variable, so the bench can try cache sizes; the worker's default otherwise.
      ...(process.env.TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS
        ? { maxCachedWorkflows: Number(process.env.TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS) }
        : {}),
      // BENCH_WORKER_OPTIONS='{"workflowThreadPoolSize":2}': SDK thread, slot and poller settings to try
      ...(process.env.BENCH_WORKER_OPTIONS ? { tuning: JSON.parse(process.env.BENCH_WORKER_OPTIONS) as WorkerTuning } : {}),
    });
    running = worker.run();
    running.catch((err: unknown) => log(`worker stopped with an error: ${(err as Error).message}`));
  } catch (err) {
    await env.teardown().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const starts = { total: 0, eager: 0 };
  const counting: WorkflowClientInterceptor = {
    async startWithDetails(input, next) {
      const out = await next(input);
      starts.total++;
      if (out.eagerlyStarted) starts.eager++;
      return out;
    },
  };
  let stopped: Promise<void> | undefined;
  return {
    client: new Client({ connection: env.nativeConnection, namespace: env.namespace, interceptors: { workflow: [counting] } }),
    starts,
    eagerStart: process.env.BENCH_EAGER_START === 'alternate' ? 'alternate' : process.env.BENCH_EAGER_START !== '0',
    address: env.address,
    connection: env.nativeConnection,
    taskQueue,
    worker,
    notifier,
    world,
    serverStartMs,
    bundleMs,
    httpAddress,
    serverStats: () => (existing ? undefined : childStats(process.pid)),
    serverMetrics: () =>
      metricsPort ? fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text()) : Promise.resolve(undefined),
    stop() {
      stopped ??= (async () => {
        try {
          if (worker && worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        } finally {
          await env.teardown();
          await rm(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

/**
 * BENCH_DYNAMIC_CONFIG='system.enableActivityEagerExecution=false,…': server settings to try on the
 * bench's dev server (`--dynamic-config-value`), e.g. to measure what a default is worth.
 */
function dynamicConfigArgs(): string[] {
  const raw = process.env.BENCH_DYNAMIC_CONFIG?.trim();
  if (!raw) return [];
  return raw.split(',').flatMap((kv) => {
    if (!/^[\w.]+=\S+$/.test(kv.trim())) throw new Error(`BENCH_DYNAMIC_CONFIG: "${kv}" is not key=value`);
    return ['--dynamic-config-value', kv.trim()];
  });
}

/**
 * BENCH_SQLITE_PRAGMAS='cache_size=-65536,mmap_size=268435456': SQLite pragmas to try on the bench's
 * dev server on top of the embedded default's (`--sqlite-pragma`; a pragma named again wins).
 */
function sqlitePragmaArgs(): string[] {
  const raw = process.env.BENCH_SQLITE_PRAGMAS?.trim();
  if (!raw) return [];
  return raw.split(',').flatMap((kv) => {
    if (!/^\w+=[\w-]+$/.test(kv.trim())) throw new Error(`BENCH_SQLITE_PRAGMAS: "${kv}" is not pragma=value`);
    return ['--sqlite-pragma', kv.trim()];
  });
}

/** The source map webpack inlined at the end of the bundle (the bundle's own `sourceMap` field is no longer filled). */
function inlineSourceMap(code: string): string {
  const m = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!m) throw new Error('BENCH_BUNDLE_MAP: the workflow bundle has no inline source map');
  return Buffer.from(m[1]!, 'base64').toString('utf8');
}

export interface ProcessStats {
  rss: number;
  /** user + system CPU seconds used so far */
  cpuS: number;
}

/** RSS and CPU time summed over the direct children of `pid` (Linux /proc); undefined elsewhere. */
function childStats(pid: number): ProcessStats | undefined {
  try {
    let found = false;
    const total: ProcessStats = { rss: 0, cpuS: 0 };
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      // fields after the ")" that closes the command name: state ppid … (utime and stime are the 12th and 13th)
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid) continue;
      found = true;
      total.cpuS += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (rss) total.rss += Number(rss[1]) * 1024;
    }
    return found ? total : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every mainstream Linux build */
const CLOCK_TICKS = 100;
