import { describe, expect, it } from 'vitest';
import { AlertIdentities, EXACT_KEYS } from '../workflows/alert-identities';

describe('distinct alert identities', () => {
  it('counts each identity once, and its latest status; a repeat or a retried resolution changes nothing', () => {
    const ids = new AlertIdentities();
    expect(['a', 'b', 'a', 'c', 'a'].map((k) => ids.observe(k, false))).toEqual(['new', 'new', 'same', 'new', 'same']);
    expect(ids.observe('b', true)).toBe('changed');
    expect(ids.observe('b', true)).toBe('same');
    expect(ids.observe('d', true)).toBe('new'); // resolved without a firing seen here
    expect(ids.counts()).toEqual({ distinct: 4, firing: 2, resolved: 2, exact: true });
    expect(ids.observe('b', false)).toBe('changed'); // fires again
    expect(ids.counts()).toMatchObject({ firing: 3, resolved: 1 });
  });

  it(`is exact up to ${EXACT_KEYS} identities, then estimates within a few percent in bounded memory`, () => {
    const ids = new AlertIdentities();
    for (let i = 0; i < EXACT_KEYS; i++) ids.observe(`k${i}`, false);
    for (let i = 0; i < EXACT_KEYS; i++) ids.observe(`k${i}`, false);
    expect(ids.counts()).toEqual({ distinct: EXACT_KEYS, firing: EXACT_KEYS, resolved: 0, exact: true });
    for (let r = 0; r < 2; r++) for (let i = 0; i < 200_000; i++) ids.observe(`k${i}`, false);
    const { distinct, exact } = ids.counts();
    expect(exact).toBe(false);
    expect(Math.abs(distinct - 200_000) / 200_000).toBeLessThan(0.05);
  });
});

describe('identities carried across continue-as-new', () => {
  it('a snapshot restores the same identities, statuses and sketch, at about 11 bytes an identity', () => {
    const key = (i: number) => i.toString(36).padStart(11, '0');
    const ids = new AlertIdentities(500);
    for (let i = 0; i < 800; i++) ids.observe(key(i), i % 4 === 0);
    const snap = ids.snapshot(11);
    expect(JSON.stringify(snap).length).toBeLessThan(500 * 11 + 4096 + 200);
    const back = AlertIdentities.restore(JSON.parse(JSON.stringify(snap)), 500);
    expect(back.counts()).toEqual(ids.counts());
    expect(back.status(key(4))).toBe('resolved');
    expect(back.status(key(5))).toBe('firing');
    expect(back.observe(key(5), false)).toBe('same');
    expect(back.observe(key(5), true)).toBe('changed');
    const odd = new AlertIdentities();
    odd.observe('short', false);
    expect(() => odd.snapshot(11)).toThrow(/11/); // keys of another length cannot be concatenated
  });
});
