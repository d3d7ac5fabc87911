/**
 * Pseudonymization rate per kind of value (values/s): uncached (every value hashed: a fresh value, or the
 * cache disabled) and cached (the value seen before, as identifiers repeat across a snapshot and across
 * Coder's 30-minute cycle). The rates are absolute; the transform benchmark shows what they cost in context.
 */
import { randomBytes } from 'node:crypto';
import { table } from './measure';
import { createPseudonymizer, type Pseudonymizer } from '../src/policy';

const DISTINCT = 50_000;

const KINDS: readonly [string, (i: number) => string][] = [
  ['UUID', (i) => `b1000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`],
  ['e-mail', (i) => `user${i}@example${i % 97}.com`],
  ['IPv4', (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
  ['IPv6', (i) => `2001:db8::${i.toString(16)}`],
  ['other string', (i) => `workspace-name-${i}`],
];

/** Best of a few passes: a rate is a capability, and the slow passes are GC or the other core. */
function rate(values: readonly string[], p: () => Pseudonymizer, passes: number): number {
  let best = Infinity;
  for (let r = 0; r < passes; r++) {
    const pseudonymizer = p();
    const start = performance.now();
    for (let i = 0; i < values.length; i++) pseudonymizer.pseudonymize(values[i]!);
    best = Math.min(best, performance.now() - start);
  }
  return values.length / (best / 1000);
}

export function runPseudonymBench(out: (s: string) => void): void {
  const key = randomBytes(32);
  const fmt = (r: number) => Math.round(r).toLocaleString('en-US');
  const rows = KINDS.map(([label, make]) => {
    const values = Array.from({ length: DISTINCT }, (_, i) => make(i));
    const uncached = rate(values, () => createPseudonymizer(key, { cacheSize: 0 }), 3);
    const warm = createPseudonymizer(key);
    for (const v of values) warm.pseudonymize(v);
    const cached = rate(values, () => warm, 5);
    return [label, fmt(uncached), fmt(cached)];
  });
  out(`Pseudonymization rate (values/s, ${DISTINCT.toLocaleString('en-US')} distinct values per kind)\n`);
  out(`${table(['values', 'uncached', 'cached'], rows)}\n\n`);
}
