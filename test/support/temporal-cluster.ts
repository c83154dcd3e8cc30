/**
 * A suite's own Temporal cluster on PostgreSQL (tools/cluster/, what `npm run cluster` runs), in a
 * temp dir removed by stop(). Needs `npm run setup:cluster` (CI runs it): without the binaries the
 * suite fails with that hint, it never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../tools/cluster/cluster';

export interface TestCluster extends Cluster {
  dir: string;
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-cluster-'));
  try {
    const cluster = await startCluster({ dir, retention: '30d', logLevel: 'warn' });
    return {
      ...cluster,
      dir,
      async stop() {
        try {
          await cluster.stop();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
