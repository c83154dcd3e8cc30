/**
 * `npm run cluster`: Temporal on PostgreSQL on this machine, until Ctrl-C. Data in `.data/cluster/`
 * (TOURNIQUET_CLUSTER_DIR), so incidents survive a restart; frontend on 127.0.0.1:7233
 * (TOURNIQUET_CLUSTER_PORT); namespace retention 30 days (TOURNIQUET_CLUSTER_RETENTION).
 * `npm run setup:cluster` builds what it needs first (once).
 */
import { join } from 'node:path';
import { startCluster, DEFAULT_RETENTION } from './cluster/cluster';
import { projectRoot } from './temporal-binaries';

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[cluster] ${line}`);
  const dir = process.env.TOURNIQUET_CLUSTER_DIR ?? join(projectRoot, '.data', 'cluster');
  const port = Number(process.env.TOURNIQUET_CLUSTER_PORT ?? 7233);
  const retention = process.env.TOURNIQUET_CLUSTER_RETENTION ?? DEFAULT_RETENTION;
  const started = Date.now();
  const cluster = await startCluster({ dir, port, retention, log, logLevel: process.env.TEMPORAL_LOG_LEVEL ?? 'warn' });
  console.log(
    [
      '',
      `Temporal (server on PostgreSQL) is running, up in ${((Date.now() - started) / 1000).toFixed(1)} s; data in ${dir}`,
      `  Temporal        ${cluster.address}  namespace ${cluster.namespace}  retention ${retention}`,
      `  PostgreSQL      ${cluster.postgres.address}  user ${cluster.postgres.user}  (password in ${join(dir, 'postgres-password')})`,
      '',
      `In another terminal:  TEMPORAL_ADDRESS=${cluster.address} npm run dev`,
      `                      temporal workflow list --address ${cluster.address} --query "TourniquetState='awaiting-approval'"`,
      'Ctrl-C stops both; incidents survive a restart.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    console.log('Cluster stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  void cluster.server().exited.then((code) => {
    if (stopping) return;
    console.error(`temporal-server exited unexpectedly (${code}):\n${cluster.server().output()}`);
    void stop(1);
  });
  void cluster.postgres.process().exited.then((code) => {
    if (stopping) return;
    console.error(`PostgreSQL exited unexpectedly (${code}):\n${cluster.postgres.process().output()}`);
    void stop(1);
  });
}

main().catch((err: unknown) => {
  console.error(`[cluster] ${(err as Error).message}`);
  process.exit(1);
});
