import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../workflows/canonical';
import { CLOCK_MARKS, ContainmentClock } from '../workflows/containment-clock';
import { EvidenceLedger, GENESIS_HASH, verifyChain, type EvidenceRef, type LedgerEntry } from '../workflows/evidence-ledger';

function ref(name: string): EvidenceRef {
  const sha256 = sha256Hex(name);
  return { name, sha256, size: name.length, uri: `evidence://inc-1/${sha256}.json`, contentType: 'application/json', redactions: 0 };
}

function ledgerOf(n: number): LedgerEntry[] {
  const ledger = new EvidenceLedger();
  for (let i = 1; i <= n; i++) ledger.append(`step-${i}`, ref(`artifact-${i}`));
  return ledger.list();
}

/** Recomputes an entry's own hash, as a forger covering their tracks would. */
function rehash(entry: LedgerEntry): LedgerEntry {
  const { entry_hash: _, ...body } = entry;
  return { ...entry, entry_hash: sha256Hex(canonicalJson(body)) };
}

describe('EvidenceLedger', () => {
  it('numbers entries from 1 and chains each to the previous one from the genesis hash', () => {
    const [first, second, third] = ledgerOf(3);
    expect(first).toMatchObject({ seq: 1, step: 'step-1', name: 'artifact-1', prev_hash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, step: 'step-2', prev_hash: first!.entry_hash });
    expect(third).toMatchObject({ seq: 3, step: 'step-3', prev_hash: second!.entry_hash });
    expect(new Set([first!.entry_hash, second!.entry_hash, third!.entry_hash]).size).toBe(3);
    expect(first!.entry_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps the reference it was given and records when it was appended', () => {
    const before = Date.now();
    const entry = new EvidenceLedger().append('collect', ref('process-list'));
    expect(entry).toMatchObject(ref('process-list'));
    const at = Date.parse(entry.recorded_at);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('hands out a copy of its entries, so callers cannot rewrite the ledger', () => {
    const ledger = new EvidenceLedger();
    ledger.append('a', ref('a'));
    ledger.list().pop();
    expect(ledger.list()).toHaveLength(1);
  });
});

describe('verifyChain', () => {
  it('finds no problems in an intact chain, or in an empty one', () => {
    expect(verifyChain(ledgerOf(4))).toEqual([]);
    expect(verifyChain([])).toEqual([]);
  });

  const fields: Array<[keyof LedgerEntry, unknown]> = [
    ['name', 'something-else'],
    ['sha256', 'f'.repeat(64)],
    ['size', 9999],
    ['uri', 'evidence://inc-1/other.json'],
    ['contentType', 'text/plain'],
    ['redactions', 3],
    ['step', 'another-step'],
    ['recorded_at', '2020-01-01T00:00:00.000Z'],
  ];

  it.each(fields)('flags entry 2 when its %s is altered', (field, value) => {
    const entries = ledgerOf(3);
    entries[1] = { ...entries[1]!, [field]: value };
    expect(verifyChain(entries)).toEqual([{ seq: 2, problem: 'entry_hash does not match the entry' }]);
  });

  it('flags the next entry when an altered entry has its own hash recomputed', () => {
    const entries = ledgerOf(3);
    entries[1] = rehash({ ...entries[1]!, size: 1 });
    expect(verifyChain(entries)).toEqual([{ seq: 3, problem: 'prev_hash does not match the previous entry' }]);
  });

  it('flags an altered entry_hash on that entry and on the one after it', () => {
    const entries = ledgerOf(3);
    entries[1] = { ...entries[1]!, entry_hash: 'a'.repeat(64) };
    expect(verifyChain(entries)).toEqual([
      { seq: 2, problem: 'entry_hash does not match the entry' },
      { seq: 3, problem: 'prev_hash does not match the previous entry' },
    ]);
  });

  it('flags an altered prev_hash or seq', () => {
    const prev = ledgerOf(3);
    prev[2] = { ...prev[2]!, prev_hash: GENESIS_HASH };
    expect(verifyChain(prev)).toEqual([
      { seq: 3, problem: 'prev_hash does not match the previous entry' },
      { seq: 3, problem: 'entry_hash does not match the entry' },
    ]);

    const seq = ledgerOf(3);
    seq[1] = rehash({ ...seq[1]!, seq: 7 });
    expect(verifyChain(seq)).toContainEqual({ seq: 7, problem: 'sequence gap: expected 2' });
  });

  it('flags the entry after a removed one', () => {
    const entries = ledgerOf(4);
    entries.splice(1, 1);
    expect(verifyChain(entries)).toEqual([
      { seq: 3, problem: 'sequence gap: expected 2' },
      { seq: 3, problem: 'prev_hash does not match the previous entry' },
      { seq: 4, problem: 'sequence gap: expected 3' },
    ]);
  });

  it('flags a removed first entry', () => {
    const entries = ledgerOf(3);
    entries.shift();
    expect(verifyChain(entries)).toEqual([
      { seq: 2, problem: 'sequence gap: expected 1' },
      { seq: 2, problem: 'prev_hash does not match the previous entry' },
      { seq: 3, problem: 'sequence gap: expected 2' },
    ]);
  });

  it('flags reordered entries', () => {
    const entries = ledgerOf(3);
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
    expect(verifyChain(entries)).toEqual([
      { seq: 3, problem: 'sequence gap: expected 2' },
      { seq: 3, problem: 'prev_hash does not match the previous entry' },
      { seq: 2, problem: 'sequence gap: expected 3' },
      { seq: 2, problem: 'prev_hash does not match the previous entry' },
    ]);
  });
});

describe('ContainmentClock', () => {
  const T = Date.parse('2025-03-01T09:00:00.000Z');

  it('keeps the first time of each mark, so a re-run step does not move it', () => {
    const clock = new ContainmentClock();
    expect(clock.has('decided_at')).toBe(false);
    clock.mark('decided_at', T);
    clock.mark('decided_at', T + 60_000);
    expect(clock.has('decided_at')).toBe(true);
    expect(clock.view()).toEqual({ decided_at: '2025-03-01T09:00:00.000Z', durations: {} });
  });

  it('derives approve, contain, detection-delay, resolve and exposure durations', () => {
    const clock = new ContainmentClock();
    clock.mark('exposed_at', T - 3_600_000);
    clock.mark('detected_at', T);
    clock.mark('received_at', T + 30_000);
    clock.mark('approval_requested_at', T + 40_000);
    clock.mark('decided_at', T + 100_000);
    clock.mark('action_started_at', T + 101_000);
    clock.mark('contained_at', T + 130_000);
    clock.mark('resolved_at', T + 600_000);
    const view = clock.view();
    expect(view.durations).toEqual({
      time_to_approve_ms: 70_000,
      time_to_contain_ms: 130_000,
      detection_delay_ms: 30_000,
      time_to_resolve_ms: 600_000,
      exposure_window_ms: 3_730_000,
    });
    for (const mark of CLOCK_MARKS) expect(view[mark]).toMatch(/^2025-03-01T0[89]:\d\d:\d\d\.000Z$/);
    expect(view.detected_at).toBe('2025-03-01T09:00:00.000Z');
    expect(view.contained_at).toBe('2025-03-01T09:02:10.000Z');
  });

  it('measures from receipt when the detection time is unknown', () => {
    const clock = new ContainmentClock();
    clock.mark('received_at', T);
    clock.mark('decided_at', T + 20_000);
    clock.mark('contained_at', T + 50_000);
    clock.mark('resolved_at', T + 90_000);
    expect(clock.view().durations).toEqual({ time_to_approve_ms: 20_000, time_to_contain_ms: 50_000, time_to_resolve_ms: 90_000 });
  });

  it('reports no duration whose end points are not both known', () => {
    const clock = new ContainmentClock();
    clock.mark('detected_at', T);
    clock.mark('decided_at', T + 5_000);
    expect(clock.view().durations).toEqual({});
  });

  it('marks the current time when no time is given', () => {
    const clock = new ContainmentClock();
    const before = Date.now();
    clock.mark('received_at');
    const at = Date.parse(clock.view().received_at!);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
