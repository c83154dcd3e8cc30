/**
 * Storm control. Per incident id, the first alert opens (or joins) the incident at once and is
 * answered only when Temporal has it. Repeats within the window are counted in memory and
 * delivered as one batch (exact count, a small sample, first/last seen) when the window ends, so a
 * storm costs one signal per window instead of one history event per alert. While a storm lasts
 * the window doubles, up to maxWindowMs; a window with no repeats forgets the incident.
 *
 * Repeats are answered before their batch is delivered: a gateway that dies inside a window loses
 * at most that window's repeat counts, never an incident or a first alert (see "What a gateway crash costs" in docs/intake.md). A
 * durable repeat (one of a notification that must be acknowledged only once it is recorded:
 * Alertmanager's groups, GitHub's deliveries) is answered after its batch is delivered, which
 * happens at once instead of at the end of the window.
 *
 * Batches keep every distinct identity they carry (keyOf) with its number of deliveries; a batch
 * that reaches maxKeys identities is delivered at once, so no signal grows without bound.
 *
 * Resolved alerts are coalesced too: those of one incident arriving together (a resolved group)
 * go as one batch, after the incident's pending repeats; each is answered once its batch is
 * recorded, or with the error, so the sender retries (recording an identity twice changes nothing).
 */

export interface Batch<S> {
  /** deliveries */
  count: number;
  sample: S[];
  /** deliveries per distinct identity */
  keys: Map<string, number>;
  firstSeen?: string;
  lastSeen?: string;
  /** the most alerts a sender said it left out of a notification */
  truncated?: number;
}

/** `suppressed`: the incident is closed and its route's reopen rules open no new run now (./reopen.ts) */
export type OpenStatus = 'new' | 'joined' | 'suppressed';
export type ResolveStatus = 'resolved' | 'no-open-incident';

export interface CoalescerDeps<C, S> {
  /** opens the incident with the first alert, or joins an open one; resolves once it is recorded */
  open(key: string, context: C, first: S): Promise<OpenStatus>;
  /** records a batch of repeats on the incident; resolves once the count is recorded (or it was suppressed) */
  flush(key: string, context: C, batch: Batch<S>): Promise<unknown>;
  /** records a batch of resolved alerts on the open incident (starts nothing) */
  resolve?(key: string, batch: Batch<S>): Promise<ResolveStatus>;
  /** the item's identity: deliveries of the same identity count once as a distinct alert */
  keyOf(item: S): string;
  /** the item's time, for first/last seen */
  seenAt(item: S): string | undefined;
  truncatedOf?(item: S): number | undefined;
  windowMs: number;
  maxWindowMs: number;
  /** how many repeats a batch carries as examples (default 3) */
  sampleSize?: number;
  /** a batch with this many identities is delivered at once (default 1000) */
  maxKeys?: number;
  onFlushError?(key: string, count: number, err: unknown): void;
}

export class CoalescerClosedError extends Error {
  override name = 'CoalescerClosedError';
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

interface Entry<C, S> {
  key: string;
  context: C;
  ready: Promise<OpenStatus>;
  opened: boolean;
  windowMs: number;
  pending?: Batch<S>;
  /** durable repeats in `pending`, answered when it is delivered */
  waiters: Waiter<void>[];
  timer?: NodeJS.Timeout;
  /** when the armed timer fires (0: as soon as possible) */
  soon?: boolean;
  flushing?: Promise<void>;
}

interface Resolving<S> {
  pending?: { batch: Batch<S>; waiters: Waiter<ResolveStatus>[] };
  timer?: NodeJS.Timeout;
  flushing?: Promise<void>;
}

export interface CoalescerStats {
  /** incidents with a window open */
  tracked: number;
  /** repeats counted and not yet delivered */
  pending: number;
  /** resolved alerts waiting for their batch */
  resolving: number;
  flushes: number;
  flushedAlerts: number;
  failedFlushes: number;
}

/** A repeat's answer: it joined, unless the incident's start was suppressed. */
const joined = (s: OpenStatus): OpenStatus => (s === 'suppressed' ? s : 'joined');

export class Coalescer<C, S> {
  private readonly entries = new Map<string, Entry<C, S>>();
  private readonly resolving = new Map<string, Resolving<S>>();
  private closing = false;
  private readonly counters = { flushes: 0, flushedAlerts: 0, failedFlushes: 0 };

  constructor(private readonly deps: CoalescerDeps<C, S>) {}

  /** 'new' or 'joined' for the first alert of a window (after Temporal has it); 'joined' for a repeat. */
  submit(key: string, context: C, item: S): Promise<OpenStatus> {
    const repeat = this.repeat(key, item);
    if (repeat) return repeat;
    const entry: Entry<C, S> = { key, context, opened: false, windowMs: this.deps.windowMs, waiters: [], ready: Promise.resolve('new') };
    this.entries.set(key, entry);
    entry.ready = this.deps.open(key, context, item).then(
      (status) => {
        if (status === 'suppressed') {
          // nothing was opened: later alerts ask again rather than join a window
          if (this.entries.get(key) === entry) this.entries.delete(key);
          for (const w of entry.waiters.splice(0)) w.resolve();
          return status;
        }
        entry.opened = true;
        this.arm(entry);
        return status;
      },
      (err: unknown) => {
        // nobody was answered yes: the first alert and any repeats waiting on it all get the error
        if (this.entries.get(key) === entry) this.entries.delete(key);
        for (const w of entry.waiters.splice(0)) w.reject(err);
        throw err;
      },
    );
    return entry.ready;
  }

  /**
   * Counts a repeat of an incident this gateway has a window open for; undefined when it has none.
   * A durable repeat is answered once its batch is recorded (delivered at once), else at once.
   */
  repeat(key: string, item: S, durable = false): Promise<OpenStatus> | undefined {
    if (this.closing) return Promise.reject(new CoalescerClosedError('the gateway is shutting down'));
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.add(entry, item);
    if (!durable) {
      if (entry.opened) this.arm(entry);
      return entry.ready.then(joined);
    }
    const recorded = new Promise<void>((resolve, reject) => entry.waiters.push({ resolve, reject }));
    recorded.catch(() => undefined); // answered through the chain below
    if (entry.opened) this.arm(entry);
    return entry.ready.then((s) => recorded.then(() => joined(s)));
  }

  /**
   * The storm's path: counts a repeat of an incident this gateway has an open window for, already
   * opened, and answers `joined` at once, without a promise; undefined when there is no such window
   * (or the gateway is closing), and the caller takes the full path (`repeat`, `submit`).
   */
  repeatNow(key: string, item: S): 'joined' | undefined {
    if (this.closing) return undefined;
    const entry = this.entries.get(key);
    // an opened entry's start resolved new or joined (a suppressed one is forgotten at once)
    if (!entry?.opened) return undefined;
    this.add(entry, item);
    this.arm(entry);
    return 'joined';
  }

  /**
   * Records a resolved alert with the others of its incident arriving now, after the incident's
   * pending repeats; answered once recorded (or with the error: the sender retries).
   */
  resolve(key: string, item: S): Promise<ResolveStatus> {
    if (this.closing) return Promise.reject(new CoalescerClosedError('the gateway is shutting down'));
    let r = this.resolving.get(key);
    if (!r) this.resolving.set(key, (r = {}));
    const pending = (r.pending ??= { batch: this.newBatch(), waiters: [] });
    this.addTo(pending.batch, item);
    const answer = new Promise<ResolveStatus>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    if (!r.timer && !r.flushing) r.timer = setTimeout(() => void this.flushResolved(key, r), 0);
    return answer;
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
    await Promise.allSettled([...this.resolving].map(([key, r]) => (clearTimeout(r.timer), this.flushResolved(key, r))));
    const undelivered = entries.reduce((n, e) => n + (e.pending?.count ?? 0), 0);
    this.entries.clear();
    return { undelivered };
  }

  stats(): CoalescerStats {
    let pending = 0;
    for (const e of this.entries.values()) pending += e.pending?.count ?? 0;
    let resolving = 0;
    for (const r of this.resolving.values()) resolving += r.pending?.batch.count ?? 0;
    return { tracked: this.entries.size, pending, resolving, ...this.counters };
  }

  private newBatch(): Batch<S> {
    return { count: 0, sample: [], keys: new Map() };
  }

  private add(entry: Entry<C, S>, item: S): void {
    this.addTo((entry.pending ??= this.newBatch()), item);
  }

  private addTo(batch: Batch<S>, item: S): void {
    const seen = this.deps.seenAt(item);
    batch.count += 1;
    const key = this.deps.keyOf(item);
    const n = batch.keys.get(key);
    batch.keys.set(key, (n ?? 0) + 1);
    // examples are distinct alerts where there are several
    if (n === undefined && batch.sample.length < (this.deps.sampleSize ?? 3)) batch.sample.push(item);
    if (seen) {
      if (!batch.firstSeen || seen < batch.firstSeen) batch.firstSeen = seen;
      if (!batch.lastSeen || seen > batch.lastSeen) batch.lastSeen = seen;
    }
    const truncated = this.deps.truncatedOf?.(item);
    if (truncated && truncated > (batch.truncated ?? 0)) batch.truncated = truncated;
  }

  private async flushResolved(key: string, r: Resolving<S>): Promise<void> {
    r.timer = undefined;
    while (r.flushing) await r.flushing;
    const pending = r.pending;
    if (!pending) return;
    r.pending = undefined;
    r.flushing = (async () => {
      try {
        await this.flushKey(key); // its firing repeats first, so the history reads in order
        if (!this.deps.resolve) throw new Error('this coalescer does not take resolved alerts');
        const status = await this.deps.resolve(key, pending.batch);
        for (const w of pending.waiters) w.resolve(status);
      } catch (err) {
        for (const w of pending.waiters) w.reject(err);
      }
    })().finally(() => {
      r.flushing = undefined;
      if (r.pending) r.timer ??= setTimeout(() => void this.flushResolved(key, r), 0);
      else if (this.resolving.get(key) === r) this.resolving.delete(key);
    });
    await r.flushing;
  }

  private arm(entry: Entry<C, S>): void {
    if (entry.flushing || this.closing) return;
    // durable repeats wait for their answer, and a batch at its identity cap goes now
    const soon = entry.waiters.length > 0 || (entry.pending?.keys.size ?? 0) >= (this.deps.maxKeys ?? 1000);
    if (entry.timer && (entry.soon || !soon)) return;
    clearTimeout(entry.timer);
    entry.soon = soon;
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        if (!entry.pending) {
          // a quiet window: forget the incident; a later alert opens or joins it again
          if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
          return;
        }
        void this.flushNow(entry);
      },
      soon ? 0 : entry.windowMs,
    );
  }

  private async flushNow(entry: Entry<C, S>): Promise<void> {
    while (entry.flushing) await entry.flushing;
    const batch = entry.pending;
    if (!batch) return;
    const waiters = entry.waiters.splice(0);
    entry.pending = undefined;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.flushing = this.deps
      .flush(entry.key, entry.context, batch)
      .then(
        (status) => {
          // the incident closed and its route opens no new run: the window ends with it
          if (status === 'suppressed' && this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
          this.counters.flushes += 1;
          this.counters.flushedAlerts += batch.count;
          if (waiters.length === 0) entry.windowMs = Math.min(entry.windowMs * 2, this.deps.maxWindowMs);
          for (const w of waiters) w.resolve();
        },
        (err: unknown) => {
          // keep the count; the next window tries again with whatever arrived meanwhile. Durable
          // repeats are told (their sender retries: the identities are recorded once either way).
          this.counters.failedFlushes += 1;
          this.merge(entry, batch);
          for (const w of waiters) w.reject(err);
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
    for (const [key, n] of batch.keys) into.keys.set(key, (into.keys.get(key) ?? 0) + n);
    if (batch.firstSeen && (!into.firstSeen || batch.firstSeen < into.firstSeen)) into.firstSeen = batch.firstSeen;
    if (batch.lastSeen && (!into.lastSeen || batch.lastSeen > into.lastSeen)) into.lastSeen = batch.lastSeen;
    if (batch.truncated && batch.truncated > (into.truncated ?? 0)) into.truncated = batch.truncated;
  }
}
