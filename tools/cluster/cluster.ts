/**
 * A real Temporal cluster on this machine: PostgreSQL (Debian's package) and temporal-server
 * (built into .tools/ by `npm run setup:cluster`), both on loopback ports, their data in `dir`.
 * Used by `npm run cluster` (tools/run-cluster.ts) and by the cluster test tier
 * (test/support/temporal-cluster.ts). Starting again on the same `dir` keeps every incident.
 */
import { mkdirSync } from 'node:fs';
import { ensurePostgres } from '../postgres-binaries';
import { ensureTemporalBinaries } from '../temporal-binaries';
import { ensureTemporalServer } from '../temporal-server-binary';
import { postgresIn, type Postgres } from './postgres';
import { freePort, freeSmallPort, type ServerProcess } from './process';
import { applySchemas, prepareNamespace, startServer, type ServerPorts } from './temporal-server';

export interface ClusterOptions {
  /** where PostgreSQL keeps its data (created when missing) */
  dir: string;
  namespace?: string;
  /** closed incidents stay readable this long (Temporal CLI duration: `30d`, `720h`) */
  retention?: string;
  /** the frontend's gRPC port (what TEMPORAL_ADDRESS names); a free one when absent */
  port?: number;
  /** the server's log level (its log goes to the output kept for errors) */
  logLevel?: string;
  log?: (line: string) => void;
}

export interface Cluster {
  /** host:port of the frontend */
  address: string;
  namespace: string;
  postgres: Postgres;
  server(): ServerProcess;
  /** stops the Temporal server (SIGTERM, its clean shutdown), keeping PostgreSQL */
  stopServer(): Promise<void>;
  /** starts it again on the same ports */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_RETENTION = '30d';

async function freePorts(frontend?: number): Promise<ServerPorts> {
  const names = [
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
    'metrics',
  ] as const;
  // All below the OS's ephemeral range (freeSmallPort): PostgreSQL and the schemas start between
  // picking these and the server binding them, and an outgoing connection of anything else on the
  // machine could take an ephemeral port meanwhile ("bind: address already in use", seen in a full test run).
  // Distinct too: each is only probed, not held, so two random picks could name the same port.
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    for (;;) {
      const port = await freeSmallPort();
      if (taken.has(port)) continue;
      taken.add(port);
      return port;
    }
  };
  const ports = { frontend: frontend ?? (await pick()) } as ServerPorts;
  taken.add(ports.frontend);
  for (const name of names) ports[name] = await pick();
  return ports;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? 'default';
  const pgBin = ensurePostgres(log);
  const serverBin = ensureTemporalServer(log);
  const { temporal } = ensureTemporalBinaries(log);
  mkdirSync(options.dir, { recursive: true });

  const postgres = postgresIn(pgBin, options.dir, await freePort());
  const ports = await freePorts(options.port);
  const address = `127.0.0.1:${ports.frontend}`;
  let server: ServerProcess | undefined;
  try {
    await postgres.start();
    log(`PostgreSQL on ${postgres.address}`);
    await applySchemas(serverBin, postgres, options.dir, log);
    server = await startServer(serverBin, postgres, ports, options.logLevel);
    log(`temporal-server on ${address}`);
    await prepareNamespace(temporal, address, namespace, options.retention ?? DEFAULT_RETENTION);
  } catch (err) {
    await server?.stop();
    await postgres.stop();
    throw err;
  }

  return {
    address,
    namespace,
    postgres,
    server: () => server!,
    stopServer: () => server!.stop(),
    async startServer() {
      if (server?.running()) return;
      server = await startServer(serverBin, postgres, ports, options.logLevel);
    },
    async stop() {
      // The server first: it flushes to PostgreSQL on the way down.
      await server?.stop();
      await postgres.stop();
    },
  };
}
