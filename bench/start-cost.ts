/**
 * What a workflow start costs the embedded dev server, alone: `npx tsx bench/start-cost.ts`.
 * For each server setting under test (START_COST_CONFIGS, JSON: { label: [extra start-dev args] };
 * by default `start-dev`'s own settings and the embedded default's, worker/dev-server.ts), a fresh
 * dev server on the embedded default's SQLite settings; START_COST_COUNT (600) starts of an
 * incident-sized request (memo, search attributes, a 1 KB input) on a task queue no worker polls,
 * START_COST_CONCURRENCY (8) in flight, from a grpc-js client as the gateway's. Rounds
 * (START_COST_ROUNDS, 3) interleave the settings. It prints the start's p50/p95 and the server's CPU
 * per start (user + system of the server process, from /proc: it moves far less with other load on
 * the machine than latency does). Prints figures, asserts nothing.
 */
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureTemporalBinaries } from '../tools/temporal-binaries';
import { DEV_SERVER_TUNING_ARGS, SQLITE_PRAGMA_ARGS } from '../worker/dev-server';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { summarize } from './stats';

const count = Number(process.env.START_COST_COUNT ?? 600);
const concurrency = Number(process.env.START_COST_CONCURRENCY ?? 8);
const rounds = Number(process.env.START_COST_ROUNDS ?? 3);
const configs = JSON.parse(
  process.env.START_COST_CONFIGS ?? JSON.stringify({ "start-dev's own settings": [], 'embedded default': DEV_SERVER_TUNING_ARGS }),
) as Record<string, string[]>;

/** CPU seconds used so far by this process's children (the dev server) */
function childCpuS(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid) total += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function once(label: string, args: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-start-cost-'));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporalBinaries(() => {}).temporal },
      ip: '127.0.0.1',
      dbFilename: join(dir, 'temporal.db'),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: [...SQLITE_PRAGMA_ARGS, ...args],
    },
  });
  const connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection, namespace: 'default' });
  try {
    const input = { playbook: 'demo', params: { service: 'checkout' }, note: 'x'.repeat(1000) };
    const start = (id: string) =>
      client.workflow.start('incidentWorkflow', {
        workflowId: id,
        taskQueue: `nobody-${randomUUID()}`,
        args: [input],
        memo: { state: 'open', playbook: 'demo', title: 'Shell in container: prod/checkout', mode: 'live', requester: 'falco' },
        typedSearchAttributes: SEARCH_ATTRIBUTES.slice(0, 4).map((key) => ({ key, value: 'x' })) as never,
      });
    for (let i = 0; i < 20; i++) await start(`warm-${i}-${randomUUID()}`); // connections, JIT; not counted
    const latencies: number[] = [];
    let next = 0;
    const cpu0 = childCpuS();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) {
          const s = performance.now();
          await start(`cost-${randomUUID()}`);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    const cpu = childCpuS() - cpu0;
    const p = summarize(latencies)!;
    return `${label.padEnd(28)} ${(count / secs).toFixed(0).padStart(4)} starts/s  p50 ${p.p50.toFixed(0).padStart(4)} ms  p95 ${p.p95.toFixed(0).padStart(4)} ms  server CPU ${((cpu * 1000) / count).toFixed(2)} ms per start`;
  } finally {
    await connection.close();
    await env.teardown();
    await rm(dir, { recursive: true, force: true });
  }
}

for (let r = 0; r < rounds; r++) for (const [label, args] of Object.entries(configs)) console.log(await once(label, args));
