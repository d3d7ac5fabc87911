/**
 * Invariants of the transform over random policies and random bodies (fast-check, ~200 cases each):
 * a value leaves as is exactly when its effective rule allows it, hashed exactly when it hashes it, and
 * never otherwise; nothing of the input is changed; the output re-parses to itself.
 */
import fc from 'fast-check';
import { parseFieldPath } from '../../../src/policy/paths';
import type { JsonObject, JsonValue } from '../../../src/json/types';
import { fakePseudonym, fakePseudonymizer } from './support/fake-pseudonymizer';
import { bodyArb, policyArb, reference, RUNS, tokenLeaves } from './support/random-policies';
import { effectiveAction, type ReferenceRule, type Step } from './support/reference-precedence';

// ---- properties ------------------------------------------------------------------------------------

describe.each([1, 2] as const)('at level %d', (level) => {
  test('a value leaves as is exactly when its effective rule allows it, as its pseudonym exactly when it hashes it', () => {
    fc.assert(fc.property(policyArb, bodyArb, (policy, body) => {
      const result = policy.compiled[level].apply(body, fakePseudonymizer);
      const text = JSON.stringify(result.body);
      const rules = reference(policy);
      for (const { token, steps } of tokenLeaves(body)) {
        const action = effectiveAction(rules, steps, level);
        expect([token, action, text.includes(JSON.stringify(token))]).toEqual([token, action, action === 'allow']);
        expect([token, action, text.includes(fakePseudonym(token))]).toEqual([token, action, action === 'hash']);
      }
    }), RUNS);
  });

  test('dropped and unknown values are reported, and every report names a path', () => {
    fc.assert(fc.property(policyArb, bodyArb, (policy, body) => {
      const result = policy.compiled[level].apply(body, fakePseudonymizer);
      const rules = reference(policy);
      const removed = tokenLeaves(body).filter(({ steps }) => {
        const a = effectiveAction(rules, steps, level);
        return a === 'drop' || a === 'unknown';
      });
      const reported = [...Object.values(result.dropped), ...Object.values(result.unknown)].reduce((s, n) => s + n, 0);
      if (removed.length > 0) expect(reported).toBeGreaterThan(0);
      const hashedTokens = tokenLeaves(body).filter(({ steps }) => effectiveAction(rules, steps, level) === 'hash').length;
      expect(Object.values(result.hashed).reduce((s, n) => s + n, 0)).toBe(hashedTokens + countHashedNonTokens(body, rules, level));
      for (const counts of [result.dropped, result.hashed, result.unknown]) {
        for (const [path, n] of Object.entries(counts)) {
          // A key no rule names is written `*` and its 16-hex-digit tag: a wildcard where a path names one.
          expect(path === '$' || parseFieldPath(path.replace(/^\$/, '').replace(/\*[0-9a-f]{16}/g, '*')).ok).toBe(true);
          expect(n).toBeGreaterThan(0);
        }
      }
    }), RUNS);
  });

  test('the input is unchanged and the output re-parses to the same value', () => {
    fc.assert(fc.property(policyArb, bodyArb, (policy, body) => {
      const before = JSON.stringify(body);
      const result = policy.compiled[level].apply(body, fakePseudonymizer);
      expect(JSON.stringify(body)).toBe(before);
      const text = JSON.stringify(result.body);
      expect(JSON.parse(text)).toEqual(result.body);
      expect(JSON.stringify(JSON.parse(text))).toBe(text);
    }), RUNS);
  });
});

/** Numbers hashed (the fake pseudonymizer hashes numbers too): counted so the hashed total can be checked. */
function countHashedNonTokens(body: JsonObject, rules: ReferenceRule[], level: 1 | 2): number {
  let n = 0;
  const walk = (v: JsonValue, steps: Step[]): void => {
    if (typeof v === 'number' || (typeof v === 'string' && !v.startsWith('<t'))) {
      if (effectiveAction(rules, steps, level) === 'hash') n++;
    } else if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...steps, { index: i, element: e }]));
    else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) walk(v[k]!, [...steps, { key: k }]);
  };
  walk(body, []);
  return n;
}
