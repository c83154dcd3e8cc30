/**
 * How many incidents a worker keeps in memory (the SDK's sticky cache) unless told
 * (TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS). An incident pushed out of the cache still takes
 * decisions: the worker fetches its history and replays it when one arrives (one fetch).
 */
import { getHeapStatistics } from 'node:v8';

/**
 * What one cached incident costs the worker process, MiB: 1.44 measured with 300 cached before zod
 * and the signature libraries were shared (workflows/shared-libraries.ts), 1.07 after (100 cached,
 * 300 waiting); rounded up (bench: BENCH_WAITING, docs/development.md).
 */
const CACHED_INCIDENT_MIB = 1.1;
/**
 * The worker process without its cache, MiB: code, the workflow bundle (and webpack's leftovers when
 * it bundles at start), connections: 570 in the bench idle, plus what a burst of starts adds. Once
 * starts stopped being slowed by secretlint's profiler (redaction/secretlint.ts) they ran at 6-7/s
 * and that burst grew: 700-870 MiB RSS with only 50 cached, and with 340 cached RSS kept climbing
 * past 1 GiB (1,125 MiB at 2,000 waiting), the garbage of both V8 heaps growing with what is live.
 */
const WORKER_BASE_MIB = 800;
/** The memory the default cache is sized for: a worker that stays under 1 GiB RSS with any number of incidents waiting. */
const WORKER_TARGET_MIB = 1024;

/**
 * The sticky cache's default size: what fits in min(1 GiB, the V8 heap limit) besides the worker's
 * base. The SDK's own default (~600 workflows per GiB of heap limit, 2,300 on a 4 GiB heap) lets a
 * worker with thousands of waiting incidents grow to several GB; an incident evicted from this cache
 * still takes decisions, replayed from its history (one fetch) when one arrives.
 */
export function defaultMaxCachedWorkflows(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  const budgetMiB = Math.min(WORKER_TARGET_MIB, heapLimitBytes / 2 ** 20) - WORKER_BASE_MIB;
  return Math.max(10, Math.floor(budgetMiB / CACHED_INCIDENT_MIB));
}
