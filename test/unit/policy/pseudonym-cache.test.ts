import { PseudonymCache } from '../../../src/policy/pseudonym-cache';

describe('PseudonymCache: bounded, and it keeps a recurring working set', () => {
  test('never holds more than its capacity, however many distinct values pass', () => {
    const cache = new PseudonymCache<number>(1000);
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      cache.get(`v${i}`);
      cache.set(`v${i}`, i);
      cache.get(`v${i >> 1}`);
      largest = Math.max(largest, cache.size);
    }
    expect(largest).toBe(1000);
  });

  test('a set of values seen again and again (one snapshot after another) stays whole while it fits in half the capacity', () => {
    const cache = new PseudonymCache<number>(1000);
    const miss = (round: number) => {
      let misses = 0;
      for (let i = 0; i < 450; i++) {
        if (cache.get(`id-${i}`) === undefined) { misses++; cache.set(`id-${i}`, i); }
        if (round > 0 && i % 50 === 0) cache.set(`fresh-${round}-${i}`, -1); // and a few new values each time
      }
      return misses;
    };
    expect(miss(0)).toBe(450);
    for (let round = 1; round < 20; round++) expect([round, miss(round)]).toEqual([round, 0]);
  });

  test('capacity 0 holds nothing', () => {
    const cache = new PseudonymCache<number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
