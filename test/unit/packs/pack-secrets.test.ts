/**
 * Secrets in any spelling and shape (issue 12, point 4), generated from the packs' own secret rules, not
 * written one by one: for every rule of category `secret` in both shipped packs, its key in other letter
 * cases (and with the Kelvin sign and the long s, which Go's encoding/json folds to k and s), and its
 * parents in other shapes (an array where an object was, an object or a single object where an array was),
 * carrying a marked value, must leave at neither level 1 nor level 2.
 */
import * as path from 'node:path';
import type { JsonValue } from '../../../src/json/types';
import { createPseudonymizer, loadPolicySet, transform, type PolicySet } from '../../../src/policy';
import { parseFieldPath, type PathSegment } from '../../../src/policy/paths';

const ROOT = path.join(__dirname, '../../..');
const pseudonymizer = createPseudonymizer(Buffer.from('pack-secrets-test-key-0123456789abcd', 'utf8'));
const SECRET = 'zqsecretvalue77';

/** The ways a key may be spelled and still decode as itself in Go. */
function spellings(key: string): string[] {
  const out = new Set([key.toUpperCase(), key[0]!.toUpperCase() + key.slice(1), [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')]);
  if (/k/i.test(key)) out.add(key.replace(/k/i, '\u212a'));
  if (/s/i.test(key)) out.add(key.replace(/s/i, '\u017f'));
  out.delete(key);
  return [...out];
}

type Shape = 'as-written' | 'array-for-object' | 'object-for-array' | 'single-for-array';

/** Builds a body holding `value` along `segments`, the last key spelled `last`, parents shaped by `shape`. */
function bodyFor(segments: readonly PathSegment[], last: string, shape: Shape, value: JsonValue, casing: (k: string) => string): JsonValue {
  const build = (i: number): JsonValue => {
    if (i === segments.length) return value;
    const s = segments[i]!;
    const inner = build(i + 1);
    const isLast = i === segments.length - 1;
    switch (s.kind) {
      case 'key': {
        const name = isLast ? last : casing(s.name);
        const member = { [name]: inner };
        // An array where the rule expects an object: the object becomes the element of a one-element array.
        return shape === 'array-for-object' && i > 0 ? [member] : member;
      }
      case 'any-key': return { 'some-key': inner };
      case 'any-index':
      case 'match': {
        const element = s.kind === 'match' && typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? { ...inner, [s.field]: s.value } : inner;
        if (shape === 'object-for-array') return { x: element };
        if (shape === 'single-for-array') return element;
        return [element];
      }
    }
  };
  // The root is an object: a leading array shape applies from the second segment on.
  const root = build(0);
  return Array.isArray(root) ? { wrapped: root } : root;
}

let set: PolicySet;
beforeAll(async () => {
  const loaded = await loadPolicySet([path.join(ROOT, 'policies')]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
  set = loaded.value;
});

test('every secret rule of both packs, in other spellings and shapes, is dropped at levels 1 and 2', () => {
  let cases = 0;
  const rules = [...set.policies.values()].flatMap((p) => [...p.endpoints.values()].flatMap((e) =>
    e.rules.filter((r) => r.category === 'secret').map((r) => ({ vendor: p.vendor, endpoint: e, rule: r }))));
  // Both packs name secrets (Coder's config credentials; none is expected of Automatisch's events).
  expect(rules.filter((r) => r.vendor === 'coder').length).toBeGreaterThan(25);
  for (const { vendor, endpoint, rule } of rules) {
    const parsed = parseFieldPath(rule.path);
    if (!parsed.ok) throw new Error(rule.path);
    const segments = parsed.path.segments;
    const lastSegment = segments[segments.length - 1]!;
    if (lastSegment.kind !== 'key') continue;
    const shapes: Shape[] = ['as-written', 'array-for-object', ...(segments.some((s) => s.kind === 'any-index' || s.kind === 'match') ? ['object-for-array', 'single-for-array'] as Shape[] : [])];
    const casings: ((k: string) => string)[] = [(k) => k, (k) => k.toUpperCase()];
    for (const last of [lastSegment.name, ...spellings(lastSegment.name)]) {
      for (const shape of shapes) {
        for (const casing of casings) {
          // A shape variant of a secret under a parent that an allow or a subtree passes is what matters; the
          // value is a string, a number and an object, so neither type nor shape lets it through.
          for (const value of [SECRET, { nested: SECRET }, [SECRET]] as JsonValue[]) {
            const body = bodyFor(segments, last, shape, value, casing);
            for (const level of [1, 2] as const) {
              cases++;
              const out = JSON.stringify(transform(endpoint, level, body, pseudonymizer).body);
              expect({ vendor, rule: rule.path, last, shape, level, leaked: out.includes(SECRET) }).toEqual({ vendor, rule: rule.path, last, shape, level, leaked: false });
            }
          }
        }
      }
    }
  }
  expect(cases).toBeGreaterThan(1000);
});

test('under a parent that passes at level 2 (older releases\' git_auth, a subtree), a case variant of its client secret does not leave', () => {
  const endpoint = set.policies.get('coder')!.endpoints.get('/deployment')!;
  for (const key of ['client_secret', 'CLIENT_SECRET', 'Client_Secret', 'client_\u017fecret']) {
    const body = { config: { git_auth: [{ type: 'github', id: 'gh', [key]: SECRET }] } };
    const r = transform(endpoint, 2, body, pseudonymizer);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
    expect(JSON.stringify(r.body)).toContain('"type":"github"');
  }
  const asObject = { config: { git_auth: { first: { type: 'github', CLIENT_SECRET: SECRET } } } };
  expect(JSON.stringify(transform(endpoint, 2, asObject, pseudonymizer).body)).not.toContain(SECRET);
});
