/**
 * `BENCH_WAITING=10000 npm run bench`: many incidents waiting for approval at once (issue 15 part 3).
 * Starts N demo incidents and waits until each has opened its gate, then approves a sample spread
 * across the set (early ones long evicted from the worker's sticky cache, late ones still in it) and
 * times approve → destructive activity started. Prints the worker process's RSS as the set grows
 * (every 1,000 incidents), its peak and its settled RSS, and the sticky-cache hits and misses the
 * SDK counted (a miss is a replay of the incident's history from the server).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decide, startIncident } from '../client';
import type { BenchStack } from './stack';
import { mb, row, summarize } from './stats';
import { workflowTaskLine, type SdkMetrics } from './sdk-metrics';

export interface WaitingOptions {
  count: number;
  /** startIncident() calls in flight while filling */
  concurrency: number;
  /** approvals to time, spread evenly over the set */
  decisions: number;
  /** how long to let the process settle (timers, GC) before reading its settled RSS */
  settleMs: number;
}

/** generous: on a loaded 2-core machine the SQLite dev server falls minutes behind a burst of starts */
const WAIT_MS = 600_000;

/** RSS sampled every 250 ms: process.resourceUsage().maxRSS would include the bundling before the round. */
class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }
  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return rss;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

function memoryLine(stack: BenchStack): string {
  const m = process.memoryUsage();
  const server = stack.serverStats()?.rss;
  return (
    `RSS ${mb(m.rss).padStart(7)}, heap used ${mb(m.heapUsed).padStart(7)}, external ${mb(m.external).padStart(6)}` +
    `, cached workflows ${String(stack.worker.getStatus().numCachedWorkflows).padStart(5)}` +
    (server !== undefined ? `; dev server RSS ${mb(server)}` : '')
  );
}

const serviceOf = (i: number) => `bench-wait-${process.pid}-${i}`;

export async function runWaitingBench(
  stack: BenchStack,
  options: WaitingOptions,
  sdk: SdkMetrics | undefined,
  log: (line: string) => void,
): Promise<void> {
  const { client, taskQueue, notifier, world } = stack;
  const { count, concurrency } = options;
  const sampler = new RssSampler();
  const rss0 = sampler.sample();
  log(`\nwaiting: ${count} demo incidents waiting for approval at once, ${concurrency} starts in flight`);
  log(`  before: ${memoryLine(stack)}`);

  // Fill: each incident counts once its gate is open, i.e. once it is truly waiting.
  const ids: string[] = new Array<string>(count);
  const failures: string[] = [];
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  let lastReport = t0;
  const step = Math.min(1000, Math.max(100, Math.ceil(count / 10)));
  const lane = async () => {
    while (next < count && failures.length < 20) {
      const i = next++;
      try {
        const id = await startIncident(client, { playbook: 'demo', requester: 'alice', params: { service: serviceOf(i) } }, { taskQueue });
        await notifier.gateOpened.wait(id, 'approval.requested notification', WAIT_MS);
        notifier.gateOpened.forget(id);
        ids[i] = id;
      } catch (err) {
        failures.push(`waiting #${i}: ${(err as Error).message}`);
      }
      done++;
      if (done % step === 0 || done === count) {
        const now = performance.now();
        log(
          `  ${String(done).padStart(6)} waiting after ${((now - t0) / 1000).toFixed(0).padStart(4)} s` +
            ` (${(((done % step || step) * 1000) / Math.max(1, now - lastReport)).toFixed(1)} /s lately): ${memoryLine(stack)}`,
        );
        lastReport = now;
      }
    }
  };
  const sdkStart = await sdk?.read();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  const fillMs = performance.now() - t0;
  const sdkFilled = await sdk?.read();
  if (failures.length) {
    log(`  ${failures.length} start(s) FAILED; stopping the round:`);
    for (const f of failures) log(`    ${f}`);
    sampler.stop();
    return;
  }
  const fillPeak = sampler.peak;
  log(
    `  ${count} incidents waiting in ${(fillMs / 1000).toFixed(1)} s (${((count * 1000) / fillMs).toFixed(1)} started and at their gate per second)`,
  );
  if (sdkStart && sdkFilled) {
    const d = (k: string) => (sdkFilled[k] ?? 0) - (sdkStart[k] ?? 0);
    log(`  over the fill (SDK metrics): ${workflowTaskLine(sdkFilled, sdkStart)}; cache ${d('hit')} hits, ${d('miss')} misses`);
  }
  await sleep(options.settleMs);
  const settled = sampler.sample();
  log(`  settled (${options.settleMs / 1000} s later): ${memoryLine(stack)}`);

  // Decide a sample spread over the set, one at a time so each latency is the incident's own.
  const cacheSize = stack.worker.options.maxCachedWorkflows;
  const n = Math.min(options.decisions, count);
  const picks = Array.from({ length: n }, (_, k) => Math.floor((k * count) / n));
  const evicted: number[] = [];
  const cached: number[] = [];
  const decideMs: number[] = [];
  const decisionFailures: string[] = [];
  const sdk0 = await sdk?.read();
  for (const i of picks) {
    const service = serviceOf(i);
    world.arm(service);
    const at = performance.now();
    try {
      const outcome = await decide(client, { incidentId: ids[i]!, decision: 'approve', approver: 'bob', via: 'bench' });
      const decidedAt = performance.now();
      if (!outcome.applied) throw new Error(`not applied: ${outcome.code}: ${outcome.message}`);
      const actAt = await world.actionStarted.wait(service, 'demoQuarantine start', WAIT_MS);
      world.actionStarted.forget(service);
      // Started after the last `cacheSize` incidents? Then it has been pushed out of the LRU cache since.
      (i < count - cacheSize ? evicted : cached).push(actAt - at);
      decideMs.push(decidedAt - at);
    } catch (err) {
      decisionFailures.push(`incident #${i} (${ids[i]}): ${(err as Error).message}`);
      if (decisionFailures.length >= 5) break;
    }
  }
  const sdk1 = await sdk?.read();
  log(`  approvals: ${n} spread over the set, one at a time (sticky cache holds ${cacheSize} workflows)`);
  log(row('approve → destructive activity started', [...evicted, ...cached], 250));
  log(row('  of which evicted (replayed from history)', evicted));
  log(row('  of which still cached', cached));
  log(row('(info) decide() round trip', decideMs));
  if (sdk0 && sdk1) {
    const delta = (k: string) => (sdk1[k] ?? 0) - (sdk0[k] ?? 0);
    log(
      `  sticky cache over the approvals (SDK metrics): ${delta('hit')} hits, ${delta('miss')} misses (history fetched and replayed),` +
        ` ${delta('evictions')} forced evictions`,
    );
    log(`  workflow tasks over the approvals: ${workflowTaskLine(sdk1, sdk0)}`);
    log(`  sticky cache over the whole round: ${sdk1.hit ?? 0} hits, ${sdk1.miss ?? 0} misses, ${sdk1.evictions ?? 0} forced evictions`);
  }
  for (const f of decisionFailures) log(`  FAILED: ${f}`);

  const end = sampler.sample();
  sampler.stop();
  const all = summarize([...evicted, ...cached]);
  log(
    `  memory: worker process RSS ${mb(rss0)} before, peak ${mb(Math.max(fillPeak, sampler.peak))}, settled ${mb(settled)} with ${count} waiting` +
      ` (${((settled - rss0) / count / 1024).toFixed(0)} KB per waiting incident), ${mb(end)} after the approvals` +
      `${all ? `; approve → action p95 ${Math.round(all.p95)} ms` : ''}`,
  );
}
