/**
 * The gateway as the intake bench runs it: an HTTP server with intake on a loopback port, on a
 * Temporal connection of its own whose RPCs are counted by method (each attempt), so the bench
 * can say how many round trips an alert costs and of which kind. By default it runs in a process
 * of its own (./gateway-process.ts) on a NativeConnection, as in production (gateway/main.ts), where
 * the gateway runs apart from the workers (docker-compose.yml); BENCH_INTAKE_GATEWAY=process-grpc-js
 * puts that process on grpc-js instead, as before; BENCH_INTAKE_GATEWAY=inline runs it in the bench process, next
 * to the worker and its activities, which share its event loop, and on the worker's NativeConnection,
 * as `npm run dev` runs it: its incident starts are eager (client/eager-start.ts).
 */
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionLike,
  type ConnectionOptions,
} from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IntakeConfig } from '../gateway/intake/config';
import { createIntakeRouter } from '../gateway/intake/router';
import { startGateway } from '../gateway/server';
import { aroundWorkflowCalls, withDeadlinesKept } from '../worker/temporal-connection';
import { DEMO_ROUTES } from '../test/support/routes';

export interface GatewayOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  token: string;
  /** on a NativeConnection of its own (Rust core's gRPC client, deadlines kept as gateway/main.ts keeps them) instead of grpc-js */
  native?: boolean;
}

export interface GatewayStats {
  /** Temporal RPCs made so far, by method name (every attempt) */
  rpcs: Record<string, number>;
  /** the gateway process's CPU time so far (undefined inline: the process is the bench's) */
  cpuMs?: number;
  /** repeats counted and not yet delivered */
  pending: number;
}

export interface BenchGateway {
  url: string;
  /** where it runs: its own process, or the bench's */
  where: 'process' | 'inline';
  stats(): Promise<GatewayStats>;
  /** delivers the coalescing windows still open, as a shutdown does; the HTTP server stays up */
  closeIntake(): Promise<void>;
  close(): Promise<void>;
}

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The gateway in this process: on its own connection, or on `shared` (the worker's NativeConnection,
 * as under `npm run dev`), which it does not close.
 */
export async function hostGateway(options: GatewayOptions, shared?: NativeConnection): Promise<BenchGateway> {
  const rpcs: Record<string, number> = {};
  const count = (method: string) => (rpcs[method] = (rpcs[method] ?? 0) + 1);
  const counting: Interceptor = (call, next) => {
    count(call.method_definition.path.slice(call.method_definition.path.lastIndexOf('/') + 1));
    // passed through unchanged: gRPC takes the next call itself in an interceptor's place
    return next(call) as ReturnType<Interceptor>;
  };
  // innermost, after the SDK's retry interceptor: a retried call counts each attempt
  const native = !shared && options.native ? await nativeConnect(options.address) : undefined;
  const own =
    shared || native
      ? undefined
      : await Connection.connect({
          address: options.address,
          interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), counting],
        });
  const connection = own ?? countingCalls(shared ?? withDeadlinesKept(native!), count);
  const client = new Client({ connection, namespace: options.namespace });
  const config: IntakeConfig = {
    tokens: { falco: [options.token], alertmanager: [], generic: [] },
    githubSecrets: [],
    maxBody: '1mb',
    coalesceMs: 250,
    coalesceMaxMs: 10_000,
  };
  // The demo route table: the shipped Falco route starts isolate-pod, which needs Kubernetes, and a
  // storm's incident must stay open for its count to be checked. The intake path is the same.
  const intake = createIntakeRouter({ client, taskQueue: options.taskQueue, config, routes: DEMO_ROUTES });
  const gateway = await startGateway({ client, intake, host: '127.0.0.1', port: 0 });
  return {
    url: gateway.url,
    where: 'inline',
    stats: () => Promise.resolve({ rpcs: { ...rpcs }, pending: intake.stats().coalescer.pending }),
    closeIntake: async () => void (await intake.close()),
    async close() {
      await gateway.close();
      await own?.close();
      await native?.close();
    },
  };
}

/** Loaded only when asked for: the worker package's native core. */
async function nativeConnect(address: string): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect({ address });
}

/**
 * `native` with its workflow service's calls counted by method. The native connection retries inside
 * its core, out of sight: each call counts once however many attempts it took. Eager starts and
 * withDeadline come with it (aroundWorkflowCalls).
 */
function countingCalls(native: ConnectionLike, count: (method: string) => void): ConnectionLike {
  return aroundWorkflowCalls(native, (key, call) => {
    count(key.charAt(0).toUpperCase() + key.slice(1));
    return call();
  });
}

interface Reply {
  id?: number;
  url?: string;
  result?: unknown;
  error?: string;
}

/** The gateway in a child process (./gateway-process.ts), driven over IPC. */
export async function spawnGateway(options: GatewayOptions): Promise<BenchGateway> {
  const profileDir = process.env.BENCH_INTAKE_GATEWAY_PROFILE || undefined;
  const child = fork(fileURLToPath(new URL('./gateway-process.ts', import.meta.url)), {
    // BENCH_INTAKE_GATEWAY_PROFILE=<dir>: a V8 CPU profile of the gateway process, written there at its exit
    execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    env: { ...process.env, BENCH_GATEWAY: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  let ready!: (url: string) => void;
  let failed!: (err: Error) => void;
  const url = new Promise<string>((resolve, reject) => ((ready = resolve), (failed = reject)));
  child.on('message', (m: Reply) => {
    if (m.url) return ready(m.url);
    if (m.id === undefined) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      const err = new Error(`bench gateway process exited (${code})`);
      failed(err);
      for (const w of waiting.values()) w.reject(err);
      resolve();
    }),
  );
  const ask = <T>(op: string) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op });
    });
  try {
    return {
      url: await url,
      where: 'process',
      stats: () => ask<GatewayStats>('stats'),
      closeIntake: () => ask<void>('closeIntake'),
      async close() {
        if (child.exitCode === null) await ask<void>('close').catch(() => undefined);
        await exited;
      },
    };
  } catch (err) {
    child.kill();
    throw err;
  }
}
