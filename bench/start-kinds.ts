/**
 * `npx tsx bench/start-kinds.ts`: what a start costs its caller by kind of connection, on the
 * bench's stack: demo incidents started 8 at a time (as the intake bench's distinct alerts are) over
 * a grpc-js Connection (a gateway or CLI of its own), over the worker's NativeConnection, and over it
 * eagerly (`npm run dev`'s gateway), in interleaved batches of 50 so that machine load weighs on
 * every kind alike. Each batch waits for its incidents' gates and their cancellation before the next.
 * START_KINDS_ROUNDS (4) batches per kind.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { performance } from 'node:perf_hooks';
import { startIncident } from '../client';
import { startStack } from './stack';
import { row } from './stats';

const BATCH = 50;
const IN_FLIGHT = 8;
const rounds = Number(process.env.START_KINDS_ROUNDS ?? 4);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startStack((line) => console.error(`[setup] ${line}`));
const grpc = new Client({ connection: await Connection.connect({ address: stack.address }) });
try {
  const kinds = {
    'grpc-js': { client: grpc, eager: false },
    native: { client: stack.client, eager: false },
    eager: { client: stack.client, eager: true },
  };
  const latencies = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]));
  const cpuMs = new Map<string, number>();
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [kind, { client, eager }] of Object.entries(kinds)) {
      const ids: string[] = [];
      let next = 0;
      const cpu0 = process.cpuUsage();
      const lane = async () => {
        while (next++ < BATCH) {
          const t0 = performance.now();
          const params = { service: `start-kinds-${process.pid}-${n++}` };
          ids.push(await startIncident(client, { playbook: 'demo', requester: 'alice', params }, { taskQueue: stack.taskQueue, eager }));
          latencies.get(kind)!.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      await Promise.all(ids.map((id) => stack.notifier.gateOpened.wait(id, 'gate', 60_000)));
      const cpu = process.cpuUsage(cpu0);
      cpuMs.set(kind, (cpuMs.get(kind) ?? 0) + (cpu.user + cpu.system) / 1000);
      await Promise.all(
        ids.map(async (id) => {
          const handle = stack.client.workflow.getHandle(id);
          await handle.cancel();
          await handle.result().catch(() => undefined);
        }),
      );
    }
  }
  console.log(`incident starts, ${IN_FLIGHT} in flight, ${rounds} interleaved batches of ${BATCH} per kind`);
  for (const [kind, l] of latencies) {
    console.log(row(`start() (${kind})`, l));
    console.log(`    bench process CPU per incident, start to gate open: ${(cpuMs.get(kind)! / l.length).toFixed(1)} ms`);
  }
  console.log(`eager: ${stack.starts.eager} of the ${rounds * BATCH} starts that asked (the others found no free workflow-task slot)`);
} finally {
  await grpc.connection.close();
  await stack.stop();
}
