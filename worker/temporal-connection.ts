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
