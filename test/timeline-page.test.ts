import { describe, expect, it } from 'vitest';
import { Timeline, TIMELINE_PAGE_BYTES } from '../workflows/timeline';

describe('timeline pages', () => {
  it('a query answers at most TIMELINE_PAGE_BYTES, and paging on from the last seq gives every entry once', () => {
    const t = new Timeline();
    for (let i = 0; i < 5000; i++) t.append('alert.repeated', 'falco', `batch ${i}`, { pad: 'x'.repeat(200) });
    const seen: number[] = [];
    let since = 0;
    for (;;) {
      const page = t.page(since);
      if (page.length === 0) break;
      expect(JSON.stringify(page).length).toBeLessThanOrEqual(TIMELINE_PAGE_BYTES);
      seen.push(...page.map((e) => e.seq));
      since = page.at(-1)!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it('an entry larger than a page still comes, alone', () => {
    const t = new Timeline();
    t.append('incident.update', 'alice', 'big', { pad: 'y'.repeat(TIMELINE_PAGE_BYTES + 10) });
    t.append('incident.update', 'alice', 'small');
    expect(t.page(0).map((e) => e.seq)).toEqual([1]);
    expect(t.page(1).map((e) => e.seq)).toEqual([2]);
  });
});
