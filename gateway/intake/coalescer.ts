/**
 * Storm control. Per incident id, the first alert opens (or joins) the incident at once and is
 * answered only when Temporal has it. Repeats within the window are counted in memory and
 * delivered as one batch (exact count, a small sample, first/last seen) when the window ends, so a
 * storm costs one signal per window instead of one history event per alert. While a storm lasts
 * the window doubles, up to maxWindowMs; a window with no repeats forgets the incident.
 *
 * Repeats are answered before their batch is delivered: a gateway that dies inside a window loses
 * at most that window's repeat counts, never an incident or a first alert (see "What a gateway crash costs" in docs/intake.md).
 */

export interface Batch<S> {
  count: number;
  sample: S[];
  firstSeen?: string;
  lastSeen?: string;
}

export type OpenStatus = 'new' | 'joined';

export interface CoalescerDeps<C, S> {
  /** opens the incident with the first alert, or joins an open one; resolves once it is recorded */
  open(key: string, context: C, first: S): Promise<OpenStatus>;
  /** records a batch of repeats on the incident; resolves once the count is recorded */
  flush(key: string, context: C, batch: Batch<S>): Promise<void>;
  /** the item's own time, for first/last seen */
  seenAt(item: S): string | undefined;
  windowMs: number;
  maxWindowMs: number;
  /** how many repeats a batch carries as examples (default 3) */
  sampleSize?: number;
  onFlushError?(key: string, count: number, err: unknown): void;
}

export class CoalescerClosedError extends Error {
  override name = 'CoalescerClosedError';
}

interface Entry<C, S> {
  key: string;
  context: C;
  ready: Promise<OpenStatus>;
  opened: boolean;
  windowMs: number;
  pending?: Batch<S>;
  timer?: NodeJS.Timeout;
  flushing?: Promise<void>;
}

export interface CoalescerStats {
  /** incidents with a window open */
  tracked: number;
  /** repeats counted and not yet delivered */
  pending: number;
  flushes: number;
  flushedAlerts: number;
  failedFlushes: number;
}

export class Coalescer<C, S> {
  private readonly entries = new Map<string, Entry<C, S>>();
  private closing = false;
  private readonly counters = { flushes: 0, flushedAlerts: 0, failedFlushes: 0 };

  constructor(private readonly deps: CoalescerDeps<C, S>) {}

  /** 'new' or 'joined' for the first alert of a window (after Temporal has it); 'joined' for a repeat. */
  submit(key: string, context: C, item: S): Promise<OpenStatus> {
    const repeat = this.repeat(key, item);
    if (repeat) return repeat;
    const entry: Entry<C, S> = { key, context, opened: false, windowMs: this.deps.windowMs, ready: Promise.resolve('new') };
    this.entries.set(key, entry);
    entry.ready = this.deps.open(key, context, item).then(
      (status) => {
        entry.opened = true;
        this.arm(entry);
        return status;
      },
      (err: unknown) => {
        // nobody was answered yes: the first alert and any repeats waiting on it all get the error
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
    return entry.ready;
  }

  /** Counts a repeat of an incident this gateway has a window open for; undefined when it has none. */
  repeat(key: string, item: S): Promise<OpenStatus> | undefined {
    if (this.closing) return Promise.reject(new CoalescerClosedError('the gateway is shutting down'));
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.add(entry, item);
    if (entry.opened) this.arm(entry);
    return entry.ready.then(() => 'joined');
  }

  /** Delivers what is pending for this incident now (before a resolved notification, say). */
  async flushKey(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    await entry.ready.catch(() => undefined);
    await this.flushNow(entry);
  }

  /** Stops taking alerts and delivers everything pending; returns how many repeats could not be delivered. */
  async close(): Promise<{ undelivered: number }> {
    this.closing = true;
    const entries = [...this.entries.values()];
    for (const e of entries) clearTimeout(e.timer);
    await Promise.allSettled(entries.map((e) => e.ready));
    await Promise.allSettled(entries.map((e) => this.flushNow(e)));
    const undelivered = entries.reduce((n, e) => n + (e.pending?.count ?? 0), 0);
    this.entries.clear();
    return { undelivered };
  }

  stats(): CoalescerStats {
    let pending = 0;
    for (const e of this.entries.values()) pending += e.pending?.count ?? 0;
    return { tracked: this.entries.size, pending, ...this.counters };
  }

  private add(entry: Entry<C, S>, item: S): void {
    const seen = this.deps.seenAt(item);
    const batch = (entry.pending ??= { count: 0, sample: [] });
    batch.count += 1;
    if (batch.sample.length < (this.deps.sampleSize ?? 3)) batch.sample.push(item);
    if (seen) {
      if (!batch.firstSeen || seen < batch.firstSeen) batch.firstSeen = seen;
      if (!batch.lastSeen || seen > batch.lastSeen) batch.lastSeen = seen;
    }
  }

  private arm(entry: Entry<C, S>): void {
    if (entry.timer || entry.flushing || this.closing) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (!entry.pending) {
        // a quiet window: forget the incident; a later alert opens or joins it again
        if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
        return;
      }
      void this.flushNow(entry);
    }, entry.windowMs);
  }

  private async flushNow(entry: Entry<C, S>): Promise<void> {
    while (entry.flushing) await entry.flushing;
    const batch = entry.pending;
    if (!batch) return;
    entry.pending = undefined;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.flushing = this.deps
      .flush(entry.key, entry.context, batch)
      .then(
        () => {
          this.counters.flushes += 1;
          this.counters.flushedAlerts += batch.count;
          entry.windowMs = Math.min(entry.windowMs * 2, this.deps.maxWindowMs);
        },
        (err: unknown) => {
          // keep the count; the next window tries again with whatever arrived meanwhile
          this.counters.failedFlushes += 1;
          this.merge(entry, batch);
          this.deps.onFlushError?.(entry.key, batch.count, err);
        },
      )
      .finally(() => {
        entry.flushing = undefined;
        this.arm(entry);
      });
    await entry.flushing;
  }

  private merge(entry: Entry<C, S>, batch: Batch<S>): void {
    const into = entry.pending;
    if (!into) {
      entry.pending = batch;
      return;
    }
    into.count += batch.count;
    into.sample = [...batch.sample, ...into.sample].slice(0, this.deps.sampleSize ?? 3);
    if (batch.firstSeen && (!into.firstSeen || batch.firstSeen < into.firstSeen)) into.firstSeen = batch.firstSeen;
    if (batch.lastSeen && (!into.lastSeen || batch.lastSeen > into.lastSeen)) into.lastSeen = batch.lastSeen;
  }
}
