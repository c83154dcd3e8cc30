import { afterEach, describe, expect, it, vi } from 'vitest';
import { Coalescer, CoalescerClosedError, type Batch, type OpenStatus, type ResolveStatus } from '../gateway/intake/coalescer';
import { waitFor } from './support/wait';

interface Item {
  n: number;
  at: string;
}

function setup(
  opts: {
    windowMs?: number;
    maxWindowMs?: number;
    maxKeys?: number;
    open?: () => Promise<OpenStatus>;
    flush?: (b: Batch<Item>) => Promise<void>;
    resolve?: (b: Batch<Item>) => Promise<ResolveStatus>;
  } = {},
) {
  const opened: string[] = [];
  const flushed: Batch<Item>[] = [];
  const resolved: Batch<Item>[] = [];
  const c = new Coalescer<string, Item>({
    open: async (key) => {
      opened.push(key);
      return opts.open ? opts.open() : 'new';
    },
    flush: async (_key, _ctx, batch) => {
      if (opts.flush) await opts.flush(batch);
      flushed.push(batch);
    },
    resolve: async (_key, batch) => {
      const status = opts.resolve ? await opts.resolve(batch) : 'resolved';
      resolved.push(batch);
      return status;
    },
    keyOf: (i) => `a${i.n}`,
    seenAt: (i) => i.at,
    windowMs: opts.windowMs ?? 100,
    maxWindowMs: opts.maxWindowMs ?? 400,
    ...(opts.maxKeys ? { maxKeys: opts.maxKeys } : {}),
  });
  return { c, opened, flushed, resolved };
}

const item = (n: number) => ({ n, at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString() });

afterEach(() => {
  vi.useRealTimers();
});

describe('the coalescer', () => {
  it('opens once, counts repeats exactly, and delivers them as one batch per window', async () => {
    vi.useFakeTimers();
    const { c, opened, flushed } = setup();
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.submit('inc-1', 'ctx', item(i % 50))));
    expect(answers[0]).toBe('new');
    expect(answers.slice(1).every((a) => a === 'joined')).toBe(true);
    expect(opened).toEqual(['inc-1']);
    expect(c.stats()).toMatchObject({ tracked: 1, pending: 999 });
    await vi.advanceTimersByTimeAsync(100);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({ count: 999, firstSeen: item(0).at, lastSeen: item(49).at });
    expect(flushed[0]!.sample.map((i) => i.n)).toEqual([1, 2, 3]); // distinct examples
    // 50 distinct alerts, each with its deliveries
    expect(flushed[0]!.keys.size).toBe(50);
    expect([...flushed[0]!.keys.values()].reduce((a, b) => a + b, 0)).toBe(999);
    expect(flushed[0]!.keys.get('a0')).toBe(19);
  });

  it('doubles the window while a storm lasts, and forgets the incident after a quiet window', async () => {
    vi.useFakeTimers();
    const { c, opened, flushed } = setup({ windowMs: 100, maxWindowMs: 400 });
    await c.submit('k', 'ctx', item(0));
    for (let t = 0; t < 1000; t += 10) {
      void c.submit('k', 'ctx', item(1));
      await vi.advanceTimersByTimeAsync(10);
    }
    // windows of 100, 200, 400, then 400 ms each
    expect(flushed.map((b) => b.count).slice(0, 3)).toEqual([10, 20, 40]);
    await vi.advanceTimersByTimeAsync(400);
    const total = flushed.reduce((n, b) => n + b.count, 0);
    expect(total).toBe(100);
    await vi.advanceTimersByTimeAsync(400);
    expect(c.stats().tracked).toBe(0);
    expect(await c.submit('k', 'ctx', item(2))).toBe('new');
    expect(opened).toEqual(['k', 'k']);
  });

  it('keeps a batch that failed to deliver and sends it with the next one', async () => {
    vi.useFakeTimers();
    let fail = true;
    const { c, flushed } = setup({ flush: async () => (fail ? Promise.reject(new Error('temporal down')) : undefined) });
    await c.submit('k', 'ctx', item(0));
    void c.submit('k', 'ctx', item(1));
    await vi.advanceTimersByTimeAsync(100);
    expect(c.stats()).toMatchObject({ pending: 1, failedFlushes: 1 });
    fail = false;
    void c.submit('k', 'ctx', item(2));
    await vi.advanceTimersByTimeAsync(100);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.count).toBe(2);
  });

  it('answers everyone with the error when the first alert cannot be recorded, and counts nothing', async () => {
    let reject!: (err: Error) => void;
    const { c } = setup({ open: () => new Promise((_, r) => (reject = r)) });
    const first = c.submit('k', 'ctx', item(0));
    const repeat = c.submit('k', 'ctx', item(1));
    reject(new Error('unavailable'));
    await expect(first).rejects.toThrow('unavailable');
    await expect(repeat).rejects.toThrow('unavailable');
    expect(c.stats()).toMatchObject({ tracked: 0, pending: 0 });
  });

  it('delivers what is pending on close, then refuses', async () => {
    const { c, flushed } = setup({ windowMs: 60_000, maxWindowMs: 60_000 });
    await c.submit('a', 'ctx', item(0));
    await c.submit('b', 'ctx', item(0));
    for (let i = 0; i < 5; i++) void c.submit('a', 'ctx', item(i));
    void c.submit('b', 'ctx', item(9));
    expect(await c.close()).toEqual({ undelivered: 0 });
    expect(flushed.map((b) => b.count).sort()).toEqual([1, 5]);
    await expect(c.submit('a', 'ctx', item(0))).rejects.toBeInstanceOf(CoalescerClosedError);
  });

  it('flushKey delivers one incident at once', async () => {
    const { c, flushed } = setup({ windowMs: 60_000, maxWindowMs: 60_000 });
    await c.submit('a', 'ctx', item(0));
    void c.submit('a', 'ctx', item(1));
    await c.flushKey('a');
    expect(flushed).toHaveLength(1);
    await c.close();
  });

  it('answers a durable repeat only once its batch is recorded, delivered at once rather than at the window end', async () => {
    const { c, flushed } = setup({ windowMs: 60_000, maxWindowMs: 60_000 });
    await c.submit('k', 'ctx', item(0));
    let answered = false;
    const durable = c.repeat('k', item(1), true)!.then((s) => ((answered = true), s));
    // Well before the 60 s window ends: a deadline, not a fixed wait, so a loaded machine cannot fail it.
    await waitFor('the durable repeat answered', () => answered, { timeoutMs: 10_000, intervalMs: 5 });
    expect(flushed).toHaveLength(1);
    expect(await durable).toBe('joined');
    await c.close();
  });

  it('tells durable repeats when their batch failed (the sender retries), and keeps the count', async () => {
    let fail = true;
    const { c, flushed } = setup({
      windowMs: 60_000,
      maxWindowMs: 60_000,
      flush: async () => (fail ? Promise.reject(new Error('temporal down')) : undefined),
    });
    await c.submit('k', 'ctx', item(0));
    await expect(c.repeat('k', item(1), true)!).rejects.toThrow('temporal down');
    fail = false;
    expect(await c.repeat('k', item(1), true)!).toBe('joined');
    expect(flushed[0]).toMatchObject({ count: 2 });
    expect(flushed[0]!.keys.get('a1')).toBe(2);
    await c.close();
  });

  it('delivers a batch at once when it reaches its identity cap', async () => {
    vi.useFakeTimers();
    const { c, flushed } = setup({ windowMs: 60_000, maxWindowMs: 60_000, maxKeys: 10 });
    await c.submit('k', 'ctx', item(0));
    for (let i = 0; i < 10; i++) void c.submit('k', 'ctx', item(100 + i));
    await vi.advanceTimersByTimeAsync(1);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.keys.size).toBe(10);
  });

  it('coalesces the resolved alerts of one incident into one batch, after its pending repeats, answering each once recorded', async () => {
    const { c, flushed, resolved } = setup({ windowMs: 60_000, maxWindowMs: 60_000 });
    await c.submit('k', 'ctx', item(0));
    void c.submit('k', 'ctx', item(1));
    const answers = await Promise.all(Array.from({ length: 600 }, (_, i) => c.resolve('k', item(i % 300))));
    expect(answers.every((a) => a === 'resolved')).toBe(true);
    expect(flushed).toHaveLength(1); // the repeat went first
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ count: 600 });
    expect(resolved[0]!.keys.size).toBe(300);
    expect(c.stats().resolving).toBe(0);
    await c.close();
  });

  it('answers every resolved alert of a batch with the error when it is not recorded', async () => {
    let fail = true;
    const { c, resolved } = setup({ resolve: async () => (fail ? Promise.reject(new Error('temporal down')) : 'no-open-incident') });
    const answers = await Promise.allSettled([c.resolve('k', item(1)), c.resolve('k', item(2))]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await c.resolve('k', item(1))).toBe('no-open-incident');
    expect(resolved).toHaveLength(1);
    await c.close();
  });
});
