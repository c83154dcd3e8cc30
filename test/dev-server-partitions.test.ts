/**
 * The embedded default serves one task queue partition (worker/dev-server.ts). A database an older
 * version wrote with start-dev's four partitions may hold tasks in partitions 1–3 (incidents
 * started while no worker ran): upgrading must not strand them.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, inject } from 'vitest';
import { SQLITE_PRAGMA_ARGS, startDevServer } from '../worker/dev-server';
import { freePort } from './support/ports';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-dev-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return { dbFile: join(dir, 'temporal.db'), port: await freePort(), uiPort: await freePort(), binary: inject('temporalCli') };
}

/** Polls `taskQueue` as a worker would, until every id's first workflow task came out or the deadline passed. */
async function pollIds(address: string, taskQueue: string, want: number, ms: number): Promise<Set<string>> {
  const connection = await Connection.connect({ address });
  const seen = new Set<string>();
  try {
    const deadline = Date.now() + ms;
    while (seen.size < want && Date.now() < deadline) {
      const task = await connection
        .withDeadline(Math.min(deadline, Date.now() + 3_000), () =>
          connection.workflowService.pollWorkflowTaskQueue({
            namespace: 'default',
            taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            identity: 'dev-server-partitions-test',
          }),
        )
        .catch(() => undefined); // an empty long poll ends at its deadline
      const id = task?.workflowExecution?.workflowId;
      if (id) seen.add(id);
    }
  } finally {
    await connection.close();
  }
  return seen;
}

describe('the embedded dev server’s task queue partitions', () => {
  it('should still hand out the tasks an older version stored in partitions 1–3', async () => {
    const o = await setup();
    // the older version: start-dev's four partitions, and incidents started while no worker ran
    const older = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: o.binary },
        ip: '127.0.0.1',
        dbFilename: o.dbFile,
        extraArgs: [...SQLITE_PRAGMA_ARGS],
      },
    });
    const taskQueue = `partitions-${randomUUID()}`;
    const ids = Array.from({ length: 12 }, (_, i) => `stored-${i}-${randomUUID()}`);
    try {
      const client = new Client({ connection: older.connection, namespace: 'default' });
      // no poller anywhere: each task waits in the partition it was written to (12 in partition 0: 1 in 4^12)
      for (const workflowId of ids) await client.workflow.start('anything', { workflowId, taskQueue });
    } finally {
      await older.teardown();
    }

    const server = await startDevServer({ ...o, namespace: 'default' }); // one partition from now on
    cleanup.push(() => server.stop());
    expect([...(await pollIds(server.address, taskQueue, ids.length, 60_000))].sort()).toEqual([...ids].sort());
  });
});
