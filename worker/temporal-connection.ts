/**
 * Connections to Temporal for the worker (native) and for clients (CLI, gateway), from one set of
 * settings: the embedded dev server, a self-hosted cluster with mTLS, or Temporal Cloud. Clients
 * and workers share one data converter: with payload keys configured, every payload is encrypted.
 */
import { Client, Connection, type ConnectionLike, type ConnectionOptions } from '@temporalio/client';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { temporalAddress, type Config } from './config';
import { dataConverterFor } from './payload-codec';

function tlsOptions(config: Config) {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  const out: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  } = {};
  if (tls.serverName) out.serverNameOverride = tls.serverName;
  if (tls.caPath) out.serverRootCACertificate = readFileSync(tls.caPath);
  if (tls.certPath && tls.keyPath) out.clientCertPair = { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) };
  return out;
}

function commonOptions(config: Config) {
  const tls = tlsOptions(config);
  return {
    address: temporalAddress(config),
    ...(tls ? { tls } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

export async function connectNative(config: Config): Promise<NativeConnection> {
  // Loaded here: the worker's native core, which a client (the CLI above all) never needs.
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect(commonOptions(config) as NativeConnectionOptions);
}

/**
 * `native` with its workflow service's calls ended at their deadline (`withDeadline`) whatever
 * happens to them. Rust core retries a call that finds Temporal unreachable (UNAVAILABLE, and other
 * transient codes alike) for about 9 s, giving each attempt the deadline rather than the
 * whole call; grpc-js stops retrying at the deadline, and the gateway counts on that: readiness
 * answers within 2 s, and Slack wants its answer within 3. A call past its deadline fails as
 * grpc-js fails it (DEADLINE_EXCEEDED), while core's attempts end on their own.
 */
export function withDeadlinesKept(native: NativeConnection): ConnectionLike {
  return aroundWorkflowCalls(native, (method, call) => {
    const deadline = native.callContextStorage.getStore()?.deadline;
    return deadline === undefined ? call() : endBy(call(), Number(deadline), method);
  });
}

/**
 * `connection` with each of its workflow service's calls made through `around` (given the method's
 * name and the call to make). Built on `connection` as its prototype, so withDeadline, close and
 * the SDK's capability flags come with it.
 */
export function aroundWorkflowCalls(
  connection: ConnectionLike,
  around: (method: string, call: () => Promise<unknown>) => Promise<unknown>,
): ConnectionLike {
  const workflowService = new Proxy(connection.workflowService, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) => around(key, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
  return Object.create(connection, { workflowService: { value: workflowService } }) as ConnectionLike;
}

/** gRPC's DEADLINE_EXCEEDED, shaped as the SDK recognises a gRPC error (code, details, metadata). */
function endBy<T>(call: Promise<T>, deadline: number, method: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        const details = `Deadline exceeded: ${method} still unanswered (Temporal unreachable or overloaded)`;
        reject(Object.assign(new Error(`4 DEADLINE_EXCEEDED: ${details}`), { code: 4, details, metadata: {} }));
      },
      Math.max(0, deadline - Date.now()),
    );
    call.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err as Error)),
    );
  });
}

export async function connectClient(config: Config): Promise<Client> {
  return clientOn(await Connection.connect(commonOptions(config) as ConnectionOptions), config);
}

/**
 * A client on a connection already open: `tourniquet dev` gives its gateway the worker's own
 * NativeConnection, so that the incidents it starts start eagerly (client/eager-start.ts).
 */
export function clientOn(connection: ConnectionLike, config: Config): Client {
  const dataConverter = dataConverterFor(config.payloadKeys);
  return new Client({ connection, namespace: config.temporal.namespace, ...(dataConverter ? { dataConverter } : {}) });
}
