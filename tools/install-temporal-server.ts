/** `npm run setup:cluster`: PostgreSQL (Debian's package) and temporal-server + its SQL tool, built into .tools/. */
import { execFileSync } from 'node:child_process';
import { ensurePostgres, PostgresBinaryError } from './postgres-binaries';
import { ensureTemporalServer, TemporalServerBinaryError } from './temporal-server-binary';

try {
  const started = Date.now();
  const log = (line: string) => console.error(`[setup:cluster] ${line}`);
  // The build first: .ci/run runs this beside setup:kube, whose apt-get (etcd) then has finished.
  const server = ensureTemporalServer(log);
  const postgres = ensurePostgres(log);
  if (process.env.CI || process.argv.includes('--verbose')) {
    const versionOf = (bin: string, flag: string) => execFileSync(bin, [flag], { encoding: 'utf8' }).trim().split('\n')[0];
    log(`postgres: ${postgres.bin} (${versionOf(postgres.postgres, '--version')})`);
    log(`temporal-server: ${server.server} (${versionOf(server.server, '--version')})`);
    log(`temporal-sql-tool: ${server.sqlTool}; schemas in ${server.dir}/schema`);
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
} catch (err) {
  if (err instanceof TemporalServerBinaryError || err instanceof PostgresBinaryError) {
    console.error(`[setup:cluster] ${err.message}`);
    process.exit(1);
  }
  throw err;
}
