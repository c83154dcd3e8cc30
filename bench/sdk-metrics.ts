/**
 * The SDK core's own counters, read from its Prometheus endpoint: the sticky cache's hits and misses
 * (a miss means the worker fetched the workflow's history from the server and replayed it), and the
 * workflow tasks' latencies (whether the worker keeps up: a task waiting long before the worker
 * takes it, or long in the worker). The Runtime must be installed with this endpoint before anything
 * else touches the SDK.
 */
export interface SdkMetrics {
  /**
   * totals since the Runtime started: `hit`, `miss`, `evictions`; `tasks` and `taskMs` (workflow
   * tasks and the ms they took in the worker), `taskWaits` and `taskWaitMs` (schedule to start)
   */
  read(): Promise<Record<string, number>>;
}

const WANTED: Record<string, string> = {
  sticky_cache_hit: 'hit',
  sticky_cache_miss: 'miss',
  sticky_cache_total_forced_eviction: 'evictions',
  workflow_task_execution_latency_count: 'tasks',
  workflow_task_execution_latency_sum: 'taskMs',
  workflow_task_schedule_to_start_latency_count: 'taskWaits',
  workflow_task_schedule_to_start_latency_sum: 'taskWaitMs',
};

/** `n workflow tasks, mean x ms in the worker, y ms scheduled to start`, from two reads (or one, since start) */
export function workflowTaskLine(to: Record<string, number>, from: Record<string, number> = {}): string {
  const d = (k: string) => (to[k] ?? 0) - (from[k] ?? 0);
  const mean = (sum: string, count: string) => (d(count) ? `${Math.round(d(sum) / d(count))} ms` : '-');
  return `${d('tasks')} workflow tasks, mean ${mean('taskMs', 'tasks')} in the worker, ${mean('taskWaitMs', 'taskWaits')} scheduled to start`;
}

export function sdkMetricsAt(bindAddress: string): SdkMetrics {
  return {
    async read() {
      const text = await (await fetch(`http://${bindAddress}/metrics`)).text();
      const totals: Record<string, number> = {};
      for (const line of text.split('\n')) {
        if (line.startsWith('#')) continue;
        // e.g. temporal_sticky_cache_miss_total{namespace="default",...} 12
        const m = /^(?:temporal_)?(\w+?)(?:_total)?(?:\{[^}]*\})?\s+([0-9.e+-]+)$/.exec(line);
        const key = m && WANTED[m[1]!];
        if (key) totals[key] = (totals[key] ?? 0) + Number(m[2]);
      }
      return totals;
    },
  };
}
