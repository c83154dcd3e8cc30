/**
 * The compose stack's one-shot Temporal jobs (deploy/compose/temporal-schema.sh and
 * temporal-namespace.sh), run as their container runs them, with the same tools at the same version
 * (temporal-sql-tool v1.32.2 and its schema files, the Temporal CLI) against a real PostgreSQL and
 * the real Temporal server (tools/cluster/): the schema they leave is one the server starts on, the
 * namespace has its retention and Tourniquet's search attributes, and both jobs can run again
 * (compose runs them on every `up`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresIn, type Postgres } from '../tools/cluster/postgres';
import { freePort, freeSmallPort, type ServerProcess } from '../tools/cluster/process';
import { startServer, type ServerPorts } from '../tools/cluster/temporal-server';
import { ensurePostgres } from '../tools/postgres-binaries';
import { ensureTemporalBinaries, projectRoot } from '../tools/temporal-binaries';
import { ensureTemporalServer } from '../tools/temporal-server-binary';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const serverBin = ensureTemporalServer();
const { temporal } = ensureTemporalBinaries();
let dir: string;
let postgres: Postgres;
let server: ServerProcess | undefined;
let ports: ServerPorts;
/** PATH as in the admin-tools image: temporal-sql-tool and temporal by those names. */
let toolsPath: string;

function runScript(script: string, env: Record<string, string>): { status: number | null; output: string } {
  const run = spawnSync('sh', [join(projectRoot, 'deploy', 'compose', script)], {
    encoding: 'utf8',
    env: { PATH: `${toolsPath}:/usr/bin:/bin`, HOME: dir, ...env },
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function schemaEnv(): Record<string, string> {
  return {
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(postgres.port),
    SQL_USER: postgres.user,
    SQL_PASSWORD: postgres.password,
    // the admin-tools image keeps them in /etc/temporal/schema/postgresql/v12
    SCHEMA_DIR: dirname(serverBin.schemaDir.temporal).replace(/\/temporal$/, ''),
    CLI_DIR: join(dir, 'cli'),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tourniquet-compose-jobs-'));
  toolsPath = join(dir, 'bin');
  mkdirSync(toolsPath);
  mkdirSync(join(dir, 'cli'));
  symlinkSync(serverBin.sqlTool, join(toolsPath, 'temporal-sql-tool'));
  symlinkSync(temporal, join(toolsPath, 'temporal'));
  postgres = postgresIn(ensurePostgres(), dir, await freePort());
  await postgres.start();
  const names = ['frontendHttp', 'history', 'matching', 'worker', 'metrics'] as const;
  ports = { frontend: await freePort() } as ServerPorts;
  for (const name of names) ports[name] = await freePort();
  // membership ports below 32768: Temporal stores them in a smallint (docs/production.md)
  for (const name of ['frontendMembership', 'historyMembership', 'matchingMembership', 'workerMembership'] as const) {
    ports[name] = await freeSmallPort();
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compose’s one-shot Temporal jobs, with the real tools', () => {
  it('temporal-schema creates both databases and brings them to the server’s schema', () => {
    const run = runScript('temporal-schema.sh', schemaEnv());
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('schemas up to date');
    // the server image has no CLI: the job leaves one for its health check
    expect(existsSync(join(dir, 'cli', 'temporal'))).toBe(true);
  });

  it('temporal-schema stops on a database it cannot reach, saying why', () => {
    const run = runScript('temporal-schema.sh', { ...schemaEnv(), SQL_PASSWORD: 'not-the-password' });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/password authentication failed/);
  });

  it('the server starts on that schema; temporal-namespace sets the retention and registers the search attributes, twice over', async () => {
    server = await startServer(serverBin, postgres, ports);
    const address = `127.0.0.1:${ports.frontend}`;
    const env = { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'tourniquet', TOURNIQUET_RETENTION: '30d' };
    const first = runScript('temporal-namespace.sh', env);
    expect(first.status, first.output).toBe(0);
    const again = runScript('temporal-namespace.sh', { ...env, TOURNIQUET_RETENTION: '45d' });
    expect(again.status, again.output).toBe(0);

    const cli = (...args: string[]) =>
      execFileSync(temporal, [...args, '--address', address, '--namespace', 'tourniquet', '-o', 'json'], { encoding: 'utf8' });
    const described = JSON.parse(cli('operator', 'namespace', 'describe')) as { config: { workflowExecutionRetentionTtl: string } };
    expect(described.config.workflowExecutionRetentionTtl).toBe(`${45 * 24 * 3600}s`);
    const listed = cli('operator', 'search-attribute', 'list');
    for (const key of SEARCH_ATTRIBUTES) expect(listed).toContain(`"${key.name}"`);
    // the health check compose gives the server, with the CLI the schema job left
    execFileSync(join(dir, 'cli', 'temporal'), ['operator', 'cluster', 'health', '--address', address], { encoding: 'utf8' });

    // compose runs the schema job on every `up`: on a database in use it changes nothing
    const rerun = runScript('temporal-schema.sh', schemaEnv());
    expect(rerun.status, rerun.output).toBe(0);
    expect(rerun.output).toContain('Skip version upgrade');
    expect(rerun.output).toContain('found zero updates');
    expect(cli('operator', 'search-attribute', 'list')).toContain('"TourniquetState"');
    expect(cli('operator', 'namespace', 'describe')).toContain(`${45 * 24 * 3600}s`);
  });
});
