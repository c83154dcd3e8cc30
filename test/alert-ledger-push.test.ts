/**
 * What the gateway sends an incident when pushes were held for its budget (gateway/intake/ledger.ts):
 * held pushes merge into one the incident's validator takes, each shard keeping its newest counts.
 */
import { describe, expect, it } from 'vitest';
import { mergePush, withShards } from '../gateway/intake/ledger';
import { MAX_PUSH_SAMPLE, type AlertCountsPush, type ShardCounts } from '../workflows';

const counts = (seq: number, firing: number): ShardCounts => ({ seq, distinct: firing, firing, resolved: 0, exact: true });
const alert = (n: number) => ({ source: 'falco', title: `alert ${n}` });

function push(over: Partial<AlertCountsPush>): AlertCountsPush {
  return { deliveries: 1, batches: 1, shards: {}, firingFresh: 0, resolvedFresh: 0, sample: [], ...over };
}

describe('held alert-count pushes', () => {
  it('merge into one: deliveries add up, each shard keeps its newest counts, the sample stays within the limit', () => {
    const older = push({
      deliveries: 10,
      shards: { '1': counts(4, 4), '2': counts(7, 7) },
      firingFresh: 3,
      sample: [alert(1), alert(2)],
      firstSeen: '2026-12-01T10:00:00.000Z',
      lastSeen: '2026-12-01T10:01:00.000Z',
    });
    const newer = push({
      deliveries: 5,
      batches: 2,
      // shard 2 answered out of order: its older counts must not win
      shards: { '1': counts(5, 5), '2': counts(6, 6), '3': counts(1, 1) },
      firingFresh: 2,
      sample: [alert(3), alert(4)],
      firstSeen: '2026-12-01T09:59:00.000Z',
      lastSeen: '2026-12-01T10:02:00.000Z',
      seeded: true,
    });
    expect(mergePush(older, newer)).toEqual({
      deliveries: 15,
      batches: 3,
      shards: { '1': counts(5, 5), '2': counts(7, 7), '3': counts(1, 1) },
      firingFresh: 5,
      resolvedFresh: 0,
      sample: [alert(1), alert(2), alert(3)],
      firstSeen: '2026-12-01T09:59:00.000Z',
      lastSeen: '2026-12-01T10:02:00.000Z',
      seeded: true,
    });
    expect(mergePush(older, newer).sample).toHaveLength(MAX_PUSH_SAMPLE);
  });

  it('take the ledger’s answers by the same rule: an older answer for a shard changes nothing', () => {
    const held = push({ shards: { '1': counts(4, 4) } });
    const answered = withShards(held, [
      { shard: 1, counts: counts(3, 3), fresh: 0 },
      { shard: 2, counts: counts(1, 1), fresh: 1 },
    ]);
    expect(answered.shards).toEqual({ '1': counts(4, 4), '2': counts(1, 1) });
  });
});
