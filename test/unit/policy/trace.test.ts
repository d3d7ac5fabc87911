/**
 * `policy explain`'s diff rests on the trace telling the truth about the transform: over random policies
 * and bodies (fast-check), the trace's changes, carried out on a copy of the input, give exactly the body
 * the transform sends, and they add up to the transform's dropped/hashed/unknown counts path for path.
 */
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../../src/json/types';
import { compileRules } from '../../../src/policy/compile';
import { compileConstraint } from '../../../src/policy/constraints';
import { parseFieldPath } from '../../../src/policy/paths';
import type { Action, FieldChange, PathCounts } from '../../../src/policy/types';
import { descendsInto, type ValidatedRule } from '../../../src/policy/validate';
import { fakePseudonymizer } from './support/fake-pseudonymizer';

const KEYS = ['a', 'b', 'kind', 'x.y', '__proto__'] as const;
const ACTIONS: readonly Action[] = ['allow', 'hash', 'drop'];

const keySegment = fc.oneof(fc.constantFrom(...KEYS).map((k) => JSON.stringify(k)), fc.constant('*'));
const indexSegment = fc.constantFrom('[*]', '[kind=p]', '[kind=q]');
const pathText = fc.tuple(keySegment, fc.array(fc.oneof(keySegment.map((k) => `.${k}`), indexSegment), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.join(''));
const rulesArb = fc.array(fc.record({ path: pathText, one: fc.constantFrom(...ACTIONS), two: fc.constantFrom(...ACTIONS), option: fc.constantFrom('none', 'subtree', 'short-string', 'short-string-hash') }), { maxLength: 8 })
  .map((specs) => {
    const rules: ValidatedRule[] = [];
    for (const s of specs) {
      const parsed = parseFieldPath(s.path);
      if (!parsed.ok) throw new Error(`generated an invalid path ${s.path}`);
      if (rules.some((r) => r.path.text === parsed.path.text)) continue;
      rules.push({ path: parsed.path, written: s.path, order: rules.length, check: null, keyCheck: null, source: { path: parsed.path.text, actions: { 1: s.one, 2: s.two }, position: { file: 'p.yaml', line: 1, column: 1 } } });
    }
    // As validation requires: no hash and no value constraint on a value that rules descend into.
    for (const r of rules) {
      const container = rules.some((o) => o !== r && descendsInto(o.path.segments, r.path.segments));
      if (container) {
        for (const level of [1, 2] as const) if (r.source.actions[level] === 'hash') r.source.actions[level] = 'allow';
      }
      const option = specs.find((s) => parseFieldPath(s.path).ok && (parseFieldPath(s.path) as { path: { text: string } }).path.text === r.source.path)?.option ?? 'none';
      if (option === 'subtree') r.source.subtree = true;
      if (!container && option.startsWith('short-string')) {
        const compiled = compileConstraint({ type: ['string'], max_length: 3 });
        if (compiled.ok) r.check = compiled.check;
        if (option.endsWith('hash')) r.source.invalid = 'hash';
      }
    }
    return rules;
  });

function objectOf(entries: readonly [string, JsonValue][]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const leaf = fc.constantFrom<JsonValue>('s', 'ada@corp.example', 7, true, null);
function tree(depth: number): fc.Arbitrary<JsonValue> {
  if (depth === 0) return leaf;
  const entries = fc.array(fc.tuple(fc.constantFrom<string>(...KEYS), tree(depth - 1)), { maxLength: 4 });
  const element = fc.tuple(fc.constantFrom('p', 'q'), entries).map(([kind, rest]) => objectOf([['kind', kind], ...rest.filter(([k]) => k !== 'kind')]));
  return fc.oneof(leaf, entries.map(objectOf), fc.array(fc.oneof(element, tree(depth - 1)), { maxLength: 3 }));
}
const bodyArb = fc.array(fc.tuple(fc.constantFrom<string>(...KEYS), tree(3)), { maxLength: 5 }).map(objectOf);

function copy(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(copy);
  if (typeof v === 'object' && v !== null) return objectOf(Object.keys(v).map((k) => [k, copy(v[k]!)]));
  return v;
}

/** Carries the changes out on a copy: last first, so removing an array element never shifts one still to come. */
function carryOut(body: JsonObject, changes: readonly FieldChange[]): JsonValue {
  const out = copy(body);
  for (const c of [...changes].reverse()) {
    let parent: JsonValue = out;
    for (const step of c.at.slice(0, -1)) parent = (parent as Record<string | number, JsonValue>)[step]!;
    const last = c.at[c.at.length - 1]!;
    if (c.pseudonym !== undefined) {
      Object.defineProperty(parent, last, { value: c.pseudonym, enumerable: true, writable: true, configurable: true });
    } else if (Array.isArray(parent)) {
      parent.splice(last as number, 1);
    } else {
      delete (parent as JsonObject)[last as string];
    }
  }
  return out;
}

function countsOf(changes: readonly FieldChange[], kind: FieldChange['kind']): PathCounts {
  const out: PathCounts = {};
  for (const c of changes) {
    if (c.kind !== kind) continue;
    Object.defineProperty(out, c.reportPath, { value: (Object.hasOwn(out, c.reportPath) ? out[c.reportPath]! : 0) + 1, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const sorted = (c: PathCounts): [string, number][] => Object.keys(c).sort().map((k) => [k, c[k]!]);

describe.each([1, 2] as const)('trace at level %d', (level) => {
  test('carrying out the trace on the input gives the body the transform sends', () => {
    fc.assert(fc.property(rulesArb, bodyArb, (rules, body) => {
      const compiled = compileRules(rules)[level];
      const changes = compiled.trace(body, fakePseudonymizer);
      expect(JSON.stringify(carryOut(body, changes))).toBe(JSON.stringify(compiled.apply(body, fakePseudonymizer).body));
    }), { numRuns: 300 });
  });

  test('the trace counts what the transform reports, path for path', () => {
    fc.assert(fc.property(rulesArb, bodyArb, (rules, body) => {
      const compiled = compileRules(rules)[level];
      const changes = compiled.trace(body, fakePseudonymizer);
      const result = compiled.apply(body, fakePseudonymizer);
      for (const kind of ['dropped', 'hashed', 'unknown', 'invalid', 'redacted'] as const) expect(sorted(countsOf(changes, kind))).toEqual(sorted(result[kind]));
    }), { numRuns: 300 });
  });
});
