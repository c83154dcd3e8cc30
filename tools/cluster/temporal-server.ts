/**
 * The real Temporal server on the cluster's PostgreSQL: the schemas applied with Temporal's own SQL
 * tool, the server started from the checked-in config (deploy/temporal/config.yaml, a template
 * filled from the environment set here), the namespace created with a retention and Tourniquet's
 * search attributes registered with the Temporal CLI, as docs/production.md does by hand.
 */
import { Connection } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SEARCH_ATTRIBUTES, registrationArgs } from '../../workflows/search-attributes';
import { projectRoot } from '../temporal-binaries';
import type { TemporalServerBinaries } from '../temporal-server-binary';
import type { Postgres } from './postgres';
import { startProcess, waitUntil, type ServerProcess } from './process';

const run = promisify(execFile);

export const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;
export const CONFIG_FILE = join(projectRoot, 'deploy', 'temporal', 'config.yaml');
export const DYNAMIC_CONFIG_FILE = join(projectRoot, 'deploy', 'temporal', 'dynamicconfig.yaml');

/** Every port the server listens on (all loopback); the frontend's gRPC port is the address clients use. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

async function sqlTool(bin: TemporalServerBinaries, pg: Postgres, database: string, args: string[]): Promise<void> {
  try {
    await run(bin.sqlTool, args, {
      env: {
        ...process.env,
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: '127.0.0.1',
        SQL_PORT: String(pg.port),
        SQL_USER: pg.user,
        SQL_PASSWORD: pg.password,
        SQL_DATABASE: database,
      },
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`temporal-sql-tool ${args.join(' ')} on ${database} failed: ${e.stderr || e.stdout || e.message}`, { cause: err });
  }
}

/** Creates both databases and their base schema once (`<dir>/schema-created` marks it), then updates them to this server's version. */
export async function applySchemas(bin: TemporalServerBinaries, pg: Postgres, dir: string, log: (line: string) => void): Promise<void> {
  const marker = join(dir, 'schema-created');
  if (!existsSync(marker)) {
    for (const db of Object.values(DATABASES)) {
      log(`creating database ${db}`);
      await sqlTool(bin, pg, db, ['create-database']);
      await sqlTool(bin, pg, db, ['setup-schema', '-v', '0.0']);
    }
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  }
  await sqlTool(bin, pg, DATABASES.temporal, ['update-schema', '-d', bin.schemaDir.temporal]);
  await sqlTool(bin, pg, DATABASES.visibility, ['update-schema', '-d', bin.schemaDir.visibility]);
}

function serverEnv(pg: Postgres, ports: ServerPorts, logLevel: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_LOG_LEVEL: logLevel,
    TEMPORAL_PG_ADDRESS: pg.address,
    TEMPORAL_PG_USER: pg.user,
    TEMPORAL_PG_PASSWORD: pg.password,
    TEMPORAL_DB: DATABASES.temporal,
    TEMPORAL_VISIBILITY_DB: DATABASES.visibility,
    TEMPORAL_DYNAMIC_CONFIG: DYNAMIC_CONFIG_FILE,
    TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_HISTORY_PORT: String(ports.history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_PORT: String(ports.matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_PORT: String(ports.worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_METRICS_PORT: String(ports.metrics),
  };
}

/** Ready when the frontend answers and says it is serving. */
async function serving(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
    const health = await connection.withDeadline(Date.now() + 2_000, () =>
      connection.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' }),
    );
    return health.status === 1; // SERVING
  } finally {
    await connection.close();
  }
}

export async function startServer(
  bin: TemporalServerBinaries,
  pg: Postgres,
  ports: ServerPorts,
  logLevel = 'warn',
): Promise<ServerProcess> {
  const proc = startProcess(bin.server, ['--config-file', CONFIG_FILE, '--allow-no-auth', 'start'], {
    env: serverEnv(pg, ports, logLevel),
  });
  await waitUntil(`temporal-server on 127.0.0.1:${ports.frontend}`, proc, () => serving(`127.0.0.1:${ports.frontend}`), 120_000);
  return proc;
}

async function cli(temporal: string, args: string[]): Promise<string> {
  const { stdout } = await run(temporal, args, { timeout: 30_000 });
  return stdout;
}

/**
 * The namespace (retention `retention`, e.g. `30d`) and Tourniquet's search attributes, with the
 * Temporal CLI; whichever exists already is left (its retention updated), so a restart is quick.
 */
export async function prepareNamespace(
  temporal: string,
  address: string,
  namespace: string,
  retention: string,
  timeoutMs = 60_000,
): Promise<void> {
  const common = ['--address', address, '--namespace', namespace];
  const deadline = Date.now() + timeoutMs;
  // A fresh server may refuse the first calls while its services find each other: retried to a deadline.
  for (;;) {
    try {
      const exists = await cli(temporal, ['operator', 'namespace', 'describe', ...common, '-o', 'json']).then(
        () => true,
        () => false,
      );
      await cli(temporal, ['operator', 'namespace', exists ? 'update' : 'create', ...common, '--retention', retention]);
      const listed = await cli(temporal, ['operator', 'search-attribute', 'list', ...common, '-o', 'json']);
      const missing = SEARCH_ATTRIBUTES.filter((k) => !listed.includes(`"${k.name}"`));
      if (missing.length > 0) {
        await cli(temporal, ['operator', 'search-attribute', 'create', ...common, ...registrationArgs('create', missing)]);
      }
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`could not prepare namespace ${namespace} on ${address}: ${e.stderr || e.message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
