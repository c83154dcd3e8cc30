/**
 * The alert intake round: a gateway with intake on a loopback port, in a process of its own as in
 * production (BENCH_INTAKE_GATEWAY=inline: in this process, next to the worker; ./gateway-host.ts),
 * fed by a keep-alive load generator in a worker thread (./loadgen-worker.mjs), against the bench's
 * own dev server and worker, on the tests' demo route table (test/support/routes.ts). The Temporal
 * RPCs the gateway makes are counted, and printed per alert.
 *   1. a duplicate storm: identical alerts, all joining one incident; the count is then checked
 *      exact on the incident itself, and its history size reported;
 *   2. repeats one at a time: the intake path's own latency, without queueing;
 *   3. distinct alerts: every alert opens its own incident (a Temporal start each), next to the
 *      floor's bare workflow starts at the same concurrency (./floor) when the floor runs.
 * Incidents opened here are cancelled at the end. The CPU time the gateway's thread (this one) and
 * the generator's used is printed per alert: on a loaded machine those move far less than the rate.
 * BENCH_INTAKE_PROFILE=<file.cpuprofile> writes a V8 CPU profile of this thread during the storm
 * (read it with bench/cpu-profile-summary.mjs).
 * Bounded in count and time; prints figures, asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { getStatus } from '../client';
import type { FloorRunner } from './floor/round';
import { hostGateway, spawnGateway, type BenchGateway, type GatewayOptions, type GatewayStats } from './gateway-host';
import type { BenchStack } from './stack';
import { row, summarize } from './stats';

export interface IntakeBenchConfig {
  distinct: number;
  storm: number;
  concurrency: number;
  maxMs: number;
}

interface LoadResult {
  latencies: number[];
  elapsedMs: number;
  /** the generator thread's CPU time (Linux) */
  cpuMs?: number;
  httpStatus: Record<string, number>;
  answers: Record<string, number>;
  incidents: string[];
  errors: number;
  sent: number;
}

const DISTINCT_CONNECTIONS = 8;
const FALCO_EVENT = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'alerts', 'falco-terminal-shell.json'), 'utf8'),
);

function falcoBody(namespace: string): string {
  return JSON.stringify({ ...FALCO_EVENT, output_fields: { ...FALCO_EVENT.output_fields, 'k8s.ns.name': namespace } });
}

function load(url: string, token: string, bodies: string[], count: number, concurrency: number, maxMs: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./loadgen-worker.mjs', import.meta.url), {
      workerData: {
        url,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        bodies,
        count,
        concurrency,
        maxMs,
      },
    });
    worker.once('message', (r: LoadResult) => resolve(r));
    worker.once('error', reject);
  });
}

/** This thread's user and system CPU time in ms (Linux: /proc/thread-self, read synchronously on this thread). */
function threadCpuMs(): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: (Number(fields[11]) * 1000) / 100, system: (Number(fields[12]) * 1000) / 100 }; // USER_HZ
  } catch {
    return undefined;
  }
}

/** A V8 CPU profile of this thread while `work` runs, written to `file`; just `work` without a file. */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!file) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * BENCH_SERVER_METRICS=<prefix>: the dev server's Prometheus metrics written to <prefix>-<moment>.prom
 * around the floor's starts and the distinct alerts (its service and persistence latencies by
 * operation say where a start's time goes inside the server).
 */
async function dumpServerMetrics(stack: BenchStack, moment: string): Promise<void> {
  const prefix = process.env.BENCH_SERVER_METRICS;
  const text = prefix ? await stack.serverMetrics() : undefined;
  if (prefix && text !== undefined) writeFileSync(`${prefix}-${moment}.prom`, text);
}

/**
 * BENCH_INTAKE_GATEWAY: `process` (default: its own process on a NativeConnection of its own, as
 * gateway/main.ts runs), `process-grpc-js` (the same process on grpc-js, as it ran before) or `inline`
 */
function gatewayMode(): 'process' | 'process-grpc-js' | 'inline' {
  const raw = process.env.BENCH_INTAKE_GATEWAY?.trim() || 'process';
  if (raw !== 'process' && raw !== 'process-grpc-js' && raw !== 'inline')
    throw new Error(`BENCH_INTAKE_GATEWAY must be process, process-grpc-js or inline, got "${raw}"`);
  return raw;
}

/** inline, the gateway shares the worker's NativeConnection, as under `npm run dev` (its starts are eager) */
function startBenchGateway(options: GatewayOptions, stack: BenchStack): Promise<BenchGateway> {
  const mode = gatewayMode();
  if (mode === 'inline') return hostGateway(options, stack.eagerStart ? stack.connection : undefined);
  return spawnGateway({ ...options, native: mode === 'process' });
}

/** The RPCs made between two stats, per alert: `StartWorkflowExecution 1.00, …` */
function rpcsPerAlert(before: GatewayStats, after: GatewayStats, alerts: number): string {
  const rows = Object.entries(after.rpcs)
    .map(([method, n]): [string, number] => [method, n - (before.rpcs[method] ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((t, [, n]) => t + n, 0);
  const per = (n: number) => (n / Math.max(1, alerts)).toFixed(2);
  return `${per(total)} (${rows.map(([m, n]) => `${m} ${per(n)}`).join(', ') || 'none'})`;
}

const cpuPerAlert = (before: GatewayStats, after: GatewayStats, alerts: number) =>
  before.cpuMs === undefined || after.cpuMs === undefined
    ? ''
    : `; gateway process CPU ${(((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, alerts)).toFixed(0)} µs per alert`;

const rate = (r: LoadResult) => `${Math.round((r.latencies.length * 1000) / r.elapsedMs)} alerts/s`;
const tally = (r: LoadResult) =>
  `HTTP ${Object.entries(r.httpStatus)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ')}; answers ${Object.entries(r.answers)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ')}` + (r.errors ? `; ${r.errors} connection errors` : '');

export async function runIntakeBench(
  stack: BenchStack,
  config: IntakeBenchConfig,
  log: (line: string) => void,
  floor?: FloorRunner,
): Promise<void> {
  const options: GatewayOptions = {
    address: stack.address,
    namespace: stack.client.options.namespace,
    taskQueue: stack.taskQueue,
    token: randomBytes(24).toString('hex'),
  };
  const { token } = options;
  const run = randomBytes(4).toString('hex');
  const opened: string[] = [];
  const where = gatewayMode() === 'inline' ? 'in this process, next to the worker' : 'in its own process';
  log(`\nalert intake (gateway ${where}, load generator in a worker thread)`);
  if (config.storm > 0) {
    const gateway = await startBenchGateway(options, stack);
    const url = `${gateway.url}/alerts/falco`;
    try {
      log(`  ${config.concurrency} connections`);
      // warm-up (JIT, connections), on an incident of its own; not counted
      const warm = await load(url, token, [falcoBody(`warmup-${run}`)], Math.min(2000, config.storm), config.concurrency, config.maxMs);
      opened.push(...warm.incidents);
      const body = falcoBody(`storm-${run}`);
      const cpu0 = threadCpuMs();
      const process0 = process.cpuUsage();
      const s0 = await gateway.stats();
      const r = await profiled(process.env.BENCH_INTAKE_PROFILE || undefined, () =>
        load(url, token, [body], config.storm, config.concurrency, config.maxMs),
      );
      const s1 = await gateway.stats();
      const cpu1 = threadCpuMs();
      const processCpu = process.cpuUsage(process0);
      log(`  duplicate storm: ${r.latencies.length} identical alerts in ${(r.elapsedMs / 1000).toFixed(1)} s, ${rate(r)}`);
      log(`    ${tally(r)}`);
      const perAlert = (ms: number | undefined) =>
        ms === undefined ? '?' : `${Math.round((ms * 1000) / Math.max(1, r.latencies.length))} µs`;
      const gw = cpu0 && cpu1 ? { user: cpu1.user - cpu0.user, system: cpu1.system - cpu0.system } : undefined;
      const gatewayCpu =
        gateway.where === 'process'
          ? `gateway process ${perAlert(s1.cpuMs! - s0.cpuMs!)}`
          : `gateway thread ${gw ? `${perAlert(gw.user + gw.system)} (user ${perAlert(gw.user)}, system ${perAlert(gw.system)})` : '?'} (it also runs the worker's activities)`;
      log(
        `    CPU per alert: ${gatewayCpu}, load generator ${perAlert(r.cpuMs)}, whole bench process ${perAlert((processCpu.user + processCpu.system) / 1000)}`,
      );
      log(`    Temporal RPCs per alert: ${rpcsPerAlert(s0, s1, r.latencies.length)}`);
      log(row('alert → 202 (storm, repeats)', r.latencies));
      const [id] = r.incidents;
      const accepted = (r.answers.new ?? 0) + (r.answers.joined ?? 0);
      const { pending } = await gateway.stats();
      await gateway.closeIntake(); // what a shutdown does: deliver the window still pending
      if (id) {
        opened.push(id);
        const status = await getStatus(stack.client, id);
        const history = await stack.client.workflow.getHandle(id).fetchHistory();
        // one event sent again and again: one distinct alert, every delivery counted
        const exact = status.alerts.total === accepted && status.alerts.distinct === 1;
        log(
          `    incidents ${r.incidents.length}; counted on the incident ${status.alerts.total} deliveries of ${accepted} accepted, ${status.alerts.distinct} distinct of 1: ${exact ? 'EXACT' : 'MISMATCH'}; ` +
            `${status.alerts.batches} batches, history ${history.events?.length ?? 0} events (${pending} still in the window at shutdown, then delivered)`,
        );
      }
    } finally {
      await gateway.close();
    }
  }

  // one at a time, then distinct alerts, on a fresh gateway
  const gw = await startBenchGateway(options, stack);
  try {
    const r = await load(`${gw.url}/alerts/falco`, token, [falcoBody(`quiet-${run}`)], 1000, 1, config.maxMs);
    opened.push(...r.incidents);
    log(row('alert → 202 (repeat, one at a time)', r.latencies.slice(1)));

    if (config.distinct > 0) {
      // The floor first: the incidents opened below keep the worker and server busy for a while
      // after they are answered, and a floor measured during that backlog would flatter them.
      await dumpServerMetrics(stack, 'before-floor-starts');
      const fc0 = stack.serverStats()?.cpuS;
      const f = floor && (await floor.starts(`starts-${run}`, config.distinct, DISTINCT_CONNECTIONS));
      const fc1 = stack.serverStats()?.cpuS;
      await dumpServerMetrics(stack, 'after-floor-starts');
      const bodies = Array.from({ length: config.distinct }, (_, i) => falcoBody(`distinct-${run}-${i}`));
      const s0 = await gw.stats();
      const dc0 = stack.serverStats()?.cpuS;
      const d = await load(`${gw.url}/alerts/falco`, token, bodies, config.distinct, DISTINCT_CONNECTIONS, config.maxMs);
      const s1 = await gw.stats();
      const dc1 = stack.serverStats()?.cpuS;
      await dumpServerMetrics(stack, 'after-distinct');
      opened.push(...d.incidents);
      const ours = (d.latencies.length * 1000) / d.elapsedMs;
      log(
        `  distinct alerts: ${d.latencies.length} in ${(d.elapsedMs / 1000).toFixed(1)} s, ${ours.toFixed(1)} incidents/s (each starts an incident; ${DISTINCT_CONNECTIONS} connections)`,
      );
      log(`    ${tally(d)}`);
      log(`    Temporal RPCs per alert: ${rpcsPerAlert(s0, s1, d.latencies.length)}${cpuPerAlert(s0, s1, d.latencies.length)}`);
      log(row('alert → 202 (opens an incident)', d.latencies, 100));
      // the server's CPU while the starts ran, per start: moves less with machine load than latency
      // (the work each run brings after its start partly lands in the next phase)
      const serverCpu = (c0: number | undefined, c1: number | undefined, n: number) =>
        c0 === undefined || c1 === undefined ? '?' : `${(((c1 - c0) * 1000) / Math.max(1, n)).toFixed(1)} ms`;
      log(
        `    dev server CPU per start while they ran: alerts ${serverCpu(dc0, dc1, d.latencies.length)}` +
          (f ? `, floor's bare starts ${serverCpu(fc0, fc1, f.latencies.length)}` : ''),
      );
      if (f) {
        const floorRate = (f.latencies.length * 1000) / f.elapsedMs;
        log(
          `  floor (run just before): ${f.latencies.length} bare workflow starts (the floor workflow), ${DISTINCT_CONNECTIONS} in flight: ${floorRate.toFixed(1)} starts/s; ` +
            `distinct incidents/s over floor starts/s ${(ours / floorRate).toFixed(2)}×`,
        );
        log(row('workflow start (floor)', f.latencies));
        const a = summarize(d.latencies);
        const b = summarize(f.latencies);
        if (a && b) log(`    alert → 202 over floor start: p50 ${(a.p50 / b.p50).toFixed(1)}×  p95 ${(a.p95 / b.p95).toFixed(1)}×`);
        for (const failure of f.failures) log(`    floor FAILED: ${failure}`);
      }
    }
  } finally {
    await gw.close();
    // cancel what the round opened, so the dev server is quiet (and stops cleanly) afterwards
    await Promise.all(
      opened.map(async (id) => {
        const handle = stack.client.workflow.getHandle(id);
        await handle.cancel().catch(() => undefined);
        await handle.result().catch(() => undefined);
      }),
    );
  }
}
