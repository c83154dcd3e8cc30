/**
 * `npm run bench`: latency of the two moments that matter in an incident, on this machine, against
 * a real embedded Temporal dev server the bench starts and stops itself.
 *   1. start → gate open: startIncident() until the approvers are notified (`approval.requested`);
 *   2. approve → destructive activity started: decide(approve) until demoQuarantine begins;
 *   Each round is followed by the same round of the floor (./floor): a bare workflow of the same
 *   shape on the same server, and the ratios Tourniquet / floor are printed next to the figures;
 *   BENCH_FLOOR_SHAPES=literal,same-work adds a second floor doing a demo incident's work.
 *   3. alert intake: distinct alerts/s, duplicate-storm alerts/s (count checked exact), alert → 202
 *      latency, and the floor's bare workflow starts at the same concurrency (./intake);
 *   4. the CLI: `tourniquet --help`, `status` and `approve` as fresh processes (./cli).
 * With BENCH_WAITING=N it runs one other round instead: N incidents waiting for approval at once,
 * the worker's RSS and approve → action among them (./waiting).
 * It prints figures and PASS/MISS against the p95 target; it never fails on them (exit 0).
 *
 * Knobs (env): BENCH_ONLY (a comma list of sections to run: incidents, concurrent, intake, cli;
 * default all; the others are skipped as if their counts were 0), BENCH_INCIDENTS (60, 0 to skip), BENCH_WARMUP (5), BENCH_CONCURRENT (30, 0 to skip),
 * BENCH_CONCURRENCY (10), BENCH_FLOOR (1, 0 to skip the floor), BENCH_FLOOR_SHAPES (literal: the floors each
 * incident round is followed by, a comma list in run order: literal is issue 15's 3 activities | Update | 1 activity;
 * same-work makes the 7 activity tasks a demo incident makes, in its order, so the ratio between the two
 * floors is what the playbook's extra work costs bare Temporal; ./floor/workflow.ts), BENCH_ALERTS_DISTINCT (200), BENCH_ALERTS_STORM (20000; both 0 skip intake),
 * BENCH_ALERTS_CONCURRENCY (64), BENCH_INTAKE_GATEWAY (process: the gateway in its own process, as in production; inline: in the bench's), BENCH_CLI_RUNS (20, 0 to skip), BENCH_CLI_SOURCE_RUNS (3), BENCH_TIMEOUT_S (420; with
 * BENCH_WAITING, 600 + 3 s per incident: a loaded machine starts 1 a second). BENCH_WAITING (0), BENCH_WAITING_CONCURRENCY (16), BENCH_WAITING_DECISIONS (200),
 * BENCH_WAITING_SETTLE_S (15),
 * (BENCH_ONLY=incident is incidents,concurrent: the incident rounds and their floor),
 * BENCH_SQLITE_WAL (1; 0 runs the dev server with its own SQLite settings instead of the embedded default's),
 * BENCH_DEV_TUNING (1; 0 runs it without the embedded default's server settings, worker/dev-server.ts),
 * BENCH_SQLITE_PRAGMAS (comma list of pragma=value, added to the embedded default's),
 * BENCH_SERVER_METRICS (a file prefix: the dev server's Prometheus metrics around the intake round's
 * starts, ./intake.ts), BENCH_INTAKE_GATEWAY=process-grpc-js (the gateway process on grpc-js instead of a NativeConnection),
 * BENCH_EAGER_START (1: Tourniquet's starts are eager, the bench's client sharing the worker's
 * NativeConnection as `npm run dev`'s gateway does; 0: not, to compare; alternate: every other
 * incident, the two kinds reported apart under the same load; the floor's never are),
 * BENCH_DYNAMIC_CONFIG (comma list of key=value for the dev server's dynamic config, e.g.
 * system.enableActivityEagerExecution=false),
 * BENCH_THINK_MS (0: how long the approver waits once the approval request arrives, both sides; ./think.ts),
 * BENCH_DECIDE (lookup: decide() as the CLI calls it, looking the open gate up first; notified: with the
 * gate, digest and run from the approval request, as a Slack button calls it),
 * BENCH_CLI_HTTP (1: the CLI's status and approve over the server's HTTP API, as under `npm run dev`; 0: over gRPC),
 * BENCH_WORKER_OPTIONS (JSON: SDK thread, slot and poller settings for Tourniquet's worker, e.g.
 * '{"workflowThreadPoolSize":2}'), BENCH_BUNDLE_MAP (a file to write the workflow bundle's source map
 * to, for bench/cpu-profile-layers.mjs).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { availableParallelism } from 'node:os';
import { FLOOR_SHAPES, startFloor, type FloorRunner, type FloorShape } from './floor/round';
import { runRound, type RoundResult, type Sample } from './incident';
import { runCliBench } from './cli';
import { runIntakeBench } from './intake';
import { sdkMetricsAt, type SdkMetrics } from './sdk-metrics';
import { freePort } from '../test/support/ports';
import { startStack, type BenchStack } from './stack';
import { mb, row, summarize } from './stats';
import { runWaitingBench } from './waiting';

const TARGET_P95_MS = 250;

function intEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

const waiting = intEnv('BENCH_WAITING', 0);
// The waiting round reads the sticky cache's hits and misses from the SDK core's Prometheus endpoint.
let sdkMetrics: SdkMetrics | undefined;
if (waiting > 0) {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
  sdkMetrics = sdkMetricsAt(bindAddress);
} else {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

const SECTIONS = ['incidents', 'concurrent', 'intake', 'cli'] as const;

/** BENCH_ONLY=intake,cli: the sections to run; undefined runs them all. */
function onlySections(): Set<string> | undefined {
  const raw = process.env.BENCH_ONLY?.trim();
  if (!raw) return undefined;
  // `incident` (both incident rounds and their floor) is kept for the quick A/B docs/development.md gives
  const picked = raw.split(',').flatMap((s) => (s.trim() === 'incident' ? ['incidents', 'concurrent'] : [s.trim()]));
  const unknown = picked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
  return new Set(picked);
}
const only = onlySections();

/** BENCH_FLOOR_SHAPES=literal,same-work: the floors each incident round is compared with, in that order. */
function floorShapes(): FloorShape[] {
  const raw = process.env.BENCH_FLOOR_SHAPES?.trim() || 'literal';
  const picked = [...new Set(raw.split(',').map((s) => s.trim()))];
  const unknown = picked.filter((s) => !Object.hasOwn(FLOOR_SHAPES, s));
  if (unknown.length)
    throw new Error(`BENCH_FLOOR_SHAPES: unknown shape(s) ${unknown.join(', ')}; known: ${Object.keys(FLOOR_SHAPES).join(', ')}`);
  return picked as FloorShape[];
}
/** the section's count from the environment, or 0 when BENCH_ONLY leaves it out */
const sectionEnv = (section: (typeof SECTIONS)[number], name: string, fallback: number) =>
  only && !only.has(section) ? 0 : intEnv(name, fallback);

const config = {
  waiting,
  waitingConcurrency: intEnv('BENCH_WAITING_CONCURRENCY', 16, 1),
  waitingDecisions: intEnv('BENCH_WAITING_DECISIONS', 200),
  waitingSettleS: intEnv('BENCH_WAITING_SETTLE_S', 15),
  incidents: sectionEnv('incidents', 'BENCH_INCIDENTS', 60),
  // a warm-up incident only serves the incident rounds
  warmup: only && !only.has('incidents') && !only.has('concurrent') ? 0 : intEnv('BENCH_WARMUP', 5),
  concurrent: sectionEnv('concurrent', 'BENCH_CONCURRENT', 30),
  concurrency: intEnv('BENCH_CONCURRENCY', 10, 1),
  timeoutS: intEnv('BENCH_TIMEOUT_S', waiting > 0 ? 600 + waiting * 3 : 420, 10),
  alertsDistinct: sectionEnv('intake', 'BENCH_ALERTS_DISTINCT', 200),
  alertsStorm: sectionEnv('intake', 'BENCH_ALERTS_STORM', 20_000),
  alertsConcurrency: intEnv('BENCH_ALERTS_CONCURRENCY', 64, 1),
  floor: intEnv('BENCH_FLOOR', 1) > 0,
  floorShapes: floorShapes(),
  cliRuns: sectionEnv('cli', 'BENCH_CLI_RUNS', 20),
  cliSourceRuns: intEnv('BENCH_CLI_SOURCE_RUNS', 3),
};

const log = (line: string) => console.log(line);
/** the Sample fields that are durations */
type Figure = Exclude<keyof Sample, 'eager'>;
const pick = (samples: Sample[], key: Figure) => samples.flatMap((s) => (s[key] === undefined ? [] : [s[key]!]));

function report(title: string, result: RoundResult): void {
  const { samples, failures } = result;
  log(
    `\n${title}  (${(result.elapsedMs / 1000).toFixed(1)} s, ${((samples.length * 1000) / result.elapsedMs).toFixed(1)} incidents/s end to end)`,
  );
  log(row('start → gate open', pick(samples, 'gateMs'), TARGET_P95_MS));
  log(row('approve → destructive activity started', pick(samples, 'actMs'), TARGET_P95_MS));
  log(row('(info) start → gate opened in workflow', pick(samples, 'wfGateMs')));
  log(row('(info) approve → action step in workflow', pick(samples, 'wfActMs')));
  log(row('(info) decide() round trip', pick(samples, 'decideMs')));
  const secs = result.elapsedMs / 1000;
  const share = (cpuS: number) => `${cpuS.toFixed(1)} s (${Math.round((cpuS / secs) * 100)}% of one core)`;
  log(
    `  CPU over the round: bench+worker process ${share(result.cpu.worker)}` +
      (result.cpu.server !== undefined ? `, dev server ${share(result.cpu.server)}` : ''),
  );
  if (stack?.eagerStart === 'alternate') {
    for (const eager of [true, false]) {
      const half = samples.filter((s) => s.eager === eager);
      const tag = eager ? 'eager start' : 'ordinary start';
      log(row(`  ${tag}: start → gate open`, pick(half, 'gateMs')));
      log(row(`  ${tag}: start → gate opened in wf`, pick(half, 'wfGateMs')));
      log(row(`  ${tag}: approve → action started`, pick(half, 'actMs')));
    }
  }
  if (result.starts)
    log(
      `  starts the server began eagerly (first workflow task in the start's response): ${result.starts.eager} of ${result.starts.total}`,
    );
  if (failures.length) {
    log(`  ${failures.length} incident(s) FAILED and are not in the figures:`);
    for (const f of failures) log(`    ${f}`);
  }
}

const perSecond = (r: RoundResult) => (r.samples.length * 1000) / r.elapsedMs;

/** A round's figures and what to call them in the ratio rows. */
interface Side {
  name: string;
  result: RoundResult;
}

/**
 * `a`'s figures over `b`'s, measured in the same run: against a floor, 1.0× would mean Tourniquet
 * costs nothing on top of Temporal.
 */
function compare(a: Side, b: Side): void {
  const ratio = (key: Figure, label: string) => {
    const x = summarize(pick(a.result.samples, key));
    const y = summarize(pick(b.result.samples, key));
    if (!x || !y) return log(`  ${label.padEnd(40)} no samples`);
    const times = (n: number, d: number) => `${(n / d).toFixed(1)}×`.padStart(6);
    log(
      `  ${label.padEnd(40)} ${b.name} p50 ${Math.round(y.p50).toString().padStart(4)} ms  p95 ${Math.round(y.p95).toString().padStart(4)} ms` +
        `   ${a.name}/${b.name} p50 ${times(x.p50, y.p50)}  p95 ${times(x.p95, y.p95)}`,
    );
  };
  ratio('gateMs', 'start → gate open');
  ratio('actMs', 'approve → destructive activity started');
  ratio('decideMs', 'decide() / approve Update round trip');
  log(
    `  ${'incidents completed per second'.padEnd(40)} ${b.name} ${perSecond(b.result).toFixed(1)} /s, ${a.name} ${perSecond(a.result).toFixed(1)} /s` +
      `   ${a.name}/${b.name} ${(perSecond(a.result) / perSecond(b.result)).toFixed(2)}×`,
  );
  // CPU per incident moves less with other load on the machine than the wall-clock figures above
  const perIncident = (r: RoundResult, cpuS: number | undefined) =>
    cpuS === undefined || r.samples.length === 0 ? undefined : (cpuS * 1000) / r.samples.length;
  const cpuRow = (label: string, cpuOf: (r: RoundResult) => number | undefined) => {
    const x = perIncident(a.result, cpuOf(a.result));
    const y = perIncident(b.result, cpuOf(b.result));
    if (x !== undefined && y !== undefined)
      log(
        `  ${label.padEnd(40)} ${b.name} ${y.toFixed(0).padStart(4)} ms, ${a.name} ${x.toFixed(0).padStart(4)} ms   ${a.name}/${b.name} ${(x / y).toFixed(2)}×`,
      );
  };
  cpuRow('CPU per incident, bench+worker process', (r) => r.cpu.worker);
  cpuRow('CPU per incident, dev server', (r) => r.cpu.server);
}

/** The floors' names in the ratio rows: `floor` is issue 15's, as the bench has always printed it. */
const FLOOR_NAMES: Record<FloorShape, string> = { literal: 'floor', 'same-work': 'same-work' };

/** Tourniquet's round over each floor's, then (both floors run) the same-work floor over the literal one. */
async function compareWithFloors(ours: RoundResult, name: string, count: number, concurrency: number): Promise<void> {
  if (!floor) return;
  const floors: Partial<Record<FloorShape, Side>> = {};
  for (const shape of config.floorShapes) {
    const result = await floor.run(name, count, concurrency, shape);
    const side = (floors[shape] = { name: FLOOR_NAMES[shape], result });
    log(`  ${side.name}: bare workflow, ${FLOOR_SHAPES[shape].shape}; same server`);
    compare({ name: 'Tourniquet', result: ours }, side);
    if (result.starts)
      log(
        `  ${side.name} starts the server began eagerly: ${result.starts.eager} of ${result.starts.total} (Temporal's default: not asked)`,
      );
    for (const f of result.failures) log(`    ${side.name} FAILED: ${f}`);
  }
  if (floors.literal && floors['same-work']) {
    log(`  the playbook's extra work, bare: the same-work floor over the literal one`);
    compare(floors['same-work'], floors.literal);
  }
}

let stack: BenchStack | undefined;
let floor: FloorRunner | undefined;

async function stopWithin(ms: number): Promise<void> {
  if (!stack) return;
  await floor?.stop();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    stack.stop(),
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stack did not stop within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const watchdog = setTimeout(() => {
  console.error(`\nbench: gave up after ${config.timeoutS} s (BENCH_TIMEOUT_S); stopping`);
  stopWithin(20_000)
    .catch((err: unknown) => console.error(`bench: ${(err as Error).message}`))
    .finally(() => process.exit(1));
}, config.timeoutS * 1000);

async function main(): Promise<void> {
  log(`Tourniquet bench: ${availableParallelism()} CPUs, Node ${process.version}, target p95 < ${TARGET_P95_MS} ms`);
  stack = await startStack((line) => console.error(`[setup] ${line}`));
  log(
    `${process.env.TEMPORAL_ADDRESS ? `connected to ${process.env.TEMPORAL_ADDRESS}` : 'dev server up'} in ${Math.round(stack.serverStartMs)} ms, workflow bundle built in ${Math.round(stack.bundleMs)} ms (in parallel)`,
  );

  if (config.waiting > 0) {
    const { waiting: count, waitingConcurrency: concurrency, waitingDecisions: decisions, waitingSettleS } = config;
    await runWaitingBench(stack, { count, concurrency, decisions, settleMs: waitingSettleS * 1000 }, sdkMetrics, log);
    return;
  }

  if (config.warmup > 0) {
    const warm = await runRound(stack, 'warmup', config.warmup, 1);
    log(`warm-up: ${warm.samples.length}/${config.warmup} incidents in ${(warm.elapsedMs / 1000).toFixed(1)} s (not counted)`);
    for (const f of warm.failures) log(`  ${f}`);
  }
  if (config.floor && (config.incidents > 0 || config.concurrent > 0 || config.alertsDistinct > 0)) {
    floor = await startFloor(stack);
    for (const shape of config.floorShapes) await floor.run('warmup', Math.max(config.warmup, 1), 1, shape);
  }

  if (config.incidents > 0) {
    const sequential = await runRound(stack, 'seq', config.incidents, 1);
    report(`sequential: ${config.incidents} incidents, one at a time`, sequential);
    await compareWithFloors(sequential, 'seq', config.incidents, 1);
  }

  if (config.concurrent > 0) {
    const concurrent = await runRound(stack, 'conc', config.concurrent, config.concurrency);
    report(`concurrent: ${config.concurrent} incidents, ${config.concurrency} in flight`, concurrent);
    await compareWithFloors(concurrent, 'conc', config.concurrent, config.concurrency);
  }

  if (config.alertsStorm > 0 || config.alertsDistinct > 0) {
    const intakeStart = stack.serverStats()?.cpuS;
    const t0 = process.cpuUsage();
    const w0 = Date.now();
    await runIntakeBench(
      stack,
      { distinct: config.alertsDistinct, storm: config.alertsStorm, concurrency: config.alertsConcurrency, maxMs: 120_000 },
      log,
      floor,
    );
    const secs = (Date.now() - w0) / 1000;
    const cpu = process.cpuUsage(t0);
    const server = stack.serverStats()?.cpuS;
    log(
      `  CPU over the intake round (${secs.toFixed(1)} s): bench process (gateway, load generator, worker) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s` +
        (server !== undefined && intakeStart !== undefined ? `, dev server ${(server - intakeStart).toFixed(1)} s` : ''),
    );
  }

  if (config.cliRuns > 0) await runCliBench(stack, { runs: config.cliRuns, sourceRuns: config.cliSourceRuns }, log);

  const mem = process.memoryUsage();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const server = stack.serverStats()?.rss;
  log(
    `\nmemory: worker process RSS ${mb(mem.rss)} (peak ${mb(peakRss)}, heap used ${mb(mem.heapUsed)})` +
      (server !== undefined ? `; dev server RSS ${mb(server)}` : ''),
  );
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = 1;
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  try {
    await stopWithin(30_000);
  } catch (err) {
    exitCode = 1;
    console.error(`bench: ${(err as Error).message}`);
  }
  clearTimeout(watchdog);
}
process.exitCode = exitCode;
