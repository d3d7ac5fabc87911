/**
 * Random policies and bodies for the property tests (fast-check): rules over a few keys, wildcards and
 * discriminators, made valid (no duplicates, no `hash` on a container), and bodies of objects, arrays
 * and leaves whose string leaves are unique tokens, so each can be found in an output.
 *
 * The plain ones are about precedence: every allow passes its subtree, no rule has a constraint, no leaf
 * holds what a detector finds. The varied ones (`variedPolicyArb`, `variedBodyArb`) add what issue 12
 * added: allows that pass scalars only, constraints that some tokens fail (dropped or hashed), and
 * tokens that are e-mail addresses, which level 1's detectors remove.
 */
import fc from 'fast-check';
import { compileRules } from '../../../../src/policy/compile';
import { parseFieldPath, type PathSegment } from '../../../../src/policy/paths';
import { descendsInto, type ValidatedRule } from '../../../../src/policy/validate';
import type { JsonObject, JsonValue } from '../../../../src/json/types';
import type { Action, CompiledRules } from '../../../../src/policy/types';
import type { ReferenceRule, Step } from './reference-precedence';

export const KEYS = ['a', 'b', 'kind', 'x.y', '__proto__'] as const;
const KINDS = ['p', 'q'] as const;
export const ACTIONS: readonly Action[] = ['allow', 'hash', 'drop'];
export const RUNS = { numRuns: 200 };

// ---- policies --------------------------------------------------------------------------------------

const keySegment = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => JSON.stringify(k)),
  fc.constant('*'),
);
const indexSegment = fc.constantFrom('[*]', '[kind=p]', '[kind=q]');
const pathText = fc.tuple(keySegment, fc.array(fc.oneof(keySegment.map((k) => `.${k}`), indexSegment), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.join(''));
const ruleSpec = fc.record({ path: pathText, one: fc.constantFrom(...ACTIONS), two: fc.constantFrom(...ACTIONS) });
const variedRuleSpec = fc.record({
  path: pathText, one: fc.constantFrom(...ACTIONS), two: fc.constantFrom(...ACTIONS),
  subtree: fc.boolean(), constraint: fc.constantFrom<'none' | 'drop' | 'hash'>('none', 'none', 'drop', 'hash'),
});

interface RuleSpec { path: string; one: Action; two: Action; subtree?: boolean; constraint?: 'none' | 'drop' | 'hash' }

/** The varied policies' constraint: a string token whose number ends in an odd digit fails it. */
export const failsConstraint = (v: JsonValue): boolean => typeof v === 'string' && /[13579](>|@)/.test(v);

export interface GeneratedPolicy { rules: ValidatedRule[]; compiled: Readonly<Record<1 | 2, CompiledRules>> }

/**
 * Turns random rules into a valid rule set: duplicates removed, `hash` on a container made `allow`, no
 * constraint on a container. Plain rules pass subtrees; varied ones say whether they do.
 */
export function policyOf(specs: RuleSpec[]): GeneratedPolicy {
  const rules: ValidatedRule[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const parsed = parseFieldPath(s.path);
    if (!parsed.ok) throw new Error(`generated an invalid path ${s.path}: ${parsed.message}`);
    if (seen.has(parsed.path.text)) continue;
    seen.add(parsed.path.text);
    const constrained = s.constraint !== undefined && s.constraint !== 'none';
    rules.push({
      path: parsed.path, written: s.path, order: rules.length, check: constrained ? (v) => !failsConstraint(v) : null, keyCheck: null,
      // Plain rules: subtree: true on every allow, since those properties are about precedence, where an
      // allow covers its whole subtree as before issue 12 (what allow does without it is tested in
      // transform.test.ts and by the varied policies).
      source: {
        path: parsed.path.text, actions: { 1: s.one, 2: s.two }, position: { file: 'p.yaml', line: 1, column: 1 }, subtree: s.subtree ?? true,
        ...(s.constraint === 'hash' ? { invalid: 'hash' as const } : {}),
      },
    });
  }
  for (const r of rules) {
    if (rules.some((o) => o !== r && descendsInto(o.path.segments, r.path.segments))) {
      for (const level of [1, 2] as const) if (r.source.actions[level] === 'hash') r.source.actions[level] = 'allow';
      r.check = null;
      delete r.source.invalid;
    }
  }
  // Counterexamples print as the rules, not as the compiled states.
  const shown = rules.map((r) => `${r.source.path}: {1: ${r.source.actions[1]}, 2: ${r.source.actions[2]}${r.source.subtree ? '' : ', scalars'}${r.check ? `, constraint${r.source.invalid ? ' hash' : ''}` : ''}}`).join('; ');
  return { rules, compiled: compileRules(rules), [fc.toStringMethod]: () => `policy { ${shown} }` } as GeneratedPolicy;
}

export const policyArb = fc.array(ruleSpec, { minLength: 0, maxLength: 8 }).map(policyOf);
export const variedPolicyArb = fc.array(variedRuleSpec, { minLength: 0, maxLength: 8 }).map(policyOf);

export function reference(policy: GeneratedPolicy): ReferenceRule[] {
  return policy.rules.map((r) => ({ segments: r.path.segments as PathSegment[], actions: r.source.actions }));
}

// ---- bodies ----------------------------------------------------------------------------------------

const TOKEN = '\u0000token';

export function objectOf(entries: readonly [string, JsonValue][]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const leaf = fc.constantFrom<JsonValue>(TOKEN, TOKEN, TOKEN, 7, true, null);

function tree(depth: number): fc.Arbitrary<JsonValue> {
  if (depth === 0) return leaf;
  const inner = tree(depth - 1);
  const entries = fc.array(fc.tuple(fc.constantFrom<string>(...KEYS), inner), { maxLength: 4 });
  const object = entries.map(objectOf);
  const element = fc.tuple(fc.constantFrom(...KINDS), entries)
    .map(([kind, rest]) => objectOf([['kind', kind], ...rest.filter(([k]) => k !== 'kind')]));
  const array = fc.array(fc.oneof(element, element, inner), { maxLength: 3 });
  return fc.oneof(leaf, object, object, array);
}

/**
 * Replaces each placeholder leaf by a unique token that cannot occur inside any other string; with
 * `emails`, every third is an e-mail address (`t<n>@corp.example`), which level 1's detectors find.
 */
function withTokens(value: JsonValue, emails = false): JsonObject {
  let n = 0;
  const walk = (v: JsonValue): JsonValue => {
    if (v === TOKEN) {
      const i = n++;
      return emails && i % 3 === 2 ? `t${i}@corp.example` : `<t${i}>`;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return objectOf(Object.keys(v).map((k) => [k, walk(v[k]!)]));
    return v;
  };
  return walk(value) as JsonObject;
}

export const bodyArb = fc.array(fc.tuple(fc.constantFrom<string>(...KEYS), tree(3)), { maxLength: 5 })
  .map((entries) => withTokens(objectOf(entries)));
export const variedBodyArb = fc.array(fc.tuple(fc.constantFrom<string>(...KEYS), tree(3)), { maxLength: 5 })
  .map((entries) => withTokens(objectOf(entries), true));

/** Every token leaf of the body with the steps that lead to it. */
export function tokenLeaves(body: JsonObject): { token: string; steps: Step[] }[] {
  const out: { token: string; steps: Step[] }[] = [];
  const walk = (v: JsonValue, steps: Step[]): void => {
    if (typeof v === 'string' && (v.startsWith('<t') || /^t\d+@corp\.example$/.test(v))) out.push({ token: v, steps });
    else if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...steps, { index: i, element: e }]));
    else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) walk(v[k]!, [...steps, { key: k }]);
  };
  walk(body, []);
  return out;
}

