/**
 * The SDK core's own counters, read from its Prometheus endpoint: the sticky cache's hits and misses
 * (a miss means the worker fetched the workflow's history from the server and replayed it). The
 * Runtime must be installed with this endpoint before anything else touches the SDK.
 */
export interface SdkMetrics {
  /** totals since the Runtime started: `hit`, `miss`, `evictions` */
  read(): Promise<Record<string, number>>;
}

const WANTED: Record<string, string> = {
  sticky_cache_hit: 'hit',
  sticky_cache_miss: 'miss',
  sticky_cache_total_forced_eviction: 'evictions',
};

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
