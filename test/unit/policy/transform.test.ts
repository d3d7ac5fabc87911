/**
 * What leaves for a given body: each action, default deny and its reports, precedence, wildcards, quoted
 * keys, discriminators, and the guarantees the gateway relies on (no input mutation, prototype-safe
 * output, exact big integers). Pseudonyms are computed independently by the test's own pseudonymizer.
 */
import { transform } from '../../../src/policy/transform';
import type { JsonValue } from '../../../src/json/types';
import type { Endpoint, TransformResult } from '../../../src/policy/types';
import { fakePseudonym, fakePseudonymizer } from './support/fake-pseudonymizer';
import { endpointWith, type RuleSpec } from './support/policy-files';

/** A key no rule names, as reports write it: `*` and its keyed tag (here the test's own). */
const tag = (key: string): string => `*${fakePseudonymizer.keyTag(key)}`;
/** The report kinds this issue added, empty. */
const NONE_INVALID = { invalid: {}, redacted: {}, detections: {} };
/** `allow` passes a container only with subtree: true (issue 12). */
const WHOLE = { 1: 'allow', 2: 'allow', subtree: true, reason: 'the test sends free-form structure here' } as const;

async function run(fields: Record<string, RuleSpec>, body: JsonValue, level: 1 | 2 = 1): Promise<TransformResult> {
  return transform(await endpointWith(fields), level, body, fakePseudonymizer);
}

describe('levels', () => {
  test('level 0 blocks: nothing leaves and nothing is reported', async () => {
    const endpoint = await endpointWith({ id: 'allow' });
    expect(transform(endpoint, 0, { id: 'x' }, fakePseudonymizer))
      .toEqual({ decision: 'block', body: null, dropped: {}, hashed: {}, unknown: {}, ...NONE_INVALID });
  });

  test('levels 1 and 2 apply their own action', async () => {
    const endpoint: Endpoint = await endpointWith({ id: { 1: 'hash', 2: 'allow' }, email: { 1: 'drop', 2: 'allow' } });
    const body = { id: 'u-1', email: 'a@example.com' };
    expect(transform(endpoint, 1, body, fakePseudonymizer)).toEqual({
      decision: 'forward', body: { id: fakePseudonym('u-1') }, hashed: { id: 1 }, dropped: { email: 1 }, unknown: {}, ...NONE_INVALID,
    });
    expect(transform(endpoint, 2, body, fakePseudonymizer)).toEqual({
      decision: 'forward', body, hashed: {}, dropped: {}, unknown: {}, ...NONE_INVALID,
    });
  });
});

describe('actions', () => {
  test('allow passes a value unchanged, and a container with its whole subtree where the rule says subtree: true', async () => {
    const body = { v: 'x', n: 7, b: false, z: null, o: { deep: { er: [1, { k: 'v' }] } }, a: [1, 'two', { three: 3 }] };
    const r = await run({ v: 'allow', n: 'allow', b: 'allow', z: 'allow', o: WHOLE, a: WHOLE }, body);
    expect(r.body).toEqual(body);
    expect(r).toMatchObject({ dropped: {}, hashed: {}, unknown: {}, invalid: {} });
  });

  test('allow without subtree: true passes a scalar only: a container there is invalid, removed whole', async () => {
    const r = await run({ v: 'allow', o: 'allow', a: 'allow' }, { v: 'x', o: { owner_email: 'jane' }, a: ['x'] });
    expect(r.body).toEqual({ v: 'x' });
    expect(r.invalid).toEqual({ o: 1, a: 1 });
  });

  test('hash replaces strings and numbers by their pseudonym and reports them', async () => {
    const r = await run({ id: 'hash', n: 'hash', 'users[*].id': 'hash' },
      { id: 'abc', n: 42, users: [{ id: 'u1' }, { id: 'u2' }] });
    expect(r.body).toEqual({ id: fakePseudonym('abc'), n: fakePseudonym(42), users: [{ id: fakePseudonym('u1') }, { id: fakePseudonym('u2') }] });
    expect(r.hashed).toEqual({ id: 1, n: 1, 'users[*].id': 2 });
  });

  test('a value that cannot be hashed (boolean, null, container) is dropped and reported dropped', async () => {
    const r = await run({ b: 'hash', z: 'hash', o: 'hash', a: 'hash', s: 'hash' },
      { b: true, z: null, o: { x: 1 }, a: ['x'], s: 's' });
    expect(r.body).toEqual({ s: fakePseudonym('s') });
    expect(r.dropped).toEqual({ b: 1, z: 1, o: 1, a: 1 });
    expect(r.hashed).toEqual({ s: 1 });
  });

  test('drop removes a value, and a container with its whole subtree, reported once where it applies', async () => {
    const r = await run({ keep: 'allow', secret: 'drop', nested: 'drop' },
      { keep: 1, secret: 's', nested: { a: { b: [1, 2, 3] } } });
    expect(r.body).toEqual({ keep: 1 });
    expect(r.dropped).toEqual({ secret: 1, nested: 1 });
    expect(r.unknown).toEqual({});
  });
});

describe('default deny', () => {
  test('a field no rule covers is removed and reported unknown, once at its top', async () => {
    const r = await run({ known: 'allow' }, { known: 1, brand_new: { with: { inner: 'stuff' } }, other: 'x' });
    expect(r.body).toEqual({ known: 1 });
    expect(r.unknown).toEqual({ [tag('brand_new')]: 1, [tag('other')]: 1 });
  });

  test('an object a rule reaches into stays as {} when all its members are removed', async () => {
    const r = await run({ 'a.b': 'allow', 'c.d': 'drop' }, { a: { x: 1 }, c: { d: 2 } });
    expect(r.body).toEqual({ a: {}, c: {} });
    expect(r.unknown).toEqual({ [`a.${tag('x')}`]: 1 });
    expect(r.dropped).toEqual({ 'c.d': 1 });
  });

  test('unknown members of array elements are counted per element, with [*] for the index', async () => {
    const r = await run({ 'users[*].id': 'allow' },
      { users: [{ id: 1, email: 'a' }, { id: 2, email: 'b' }, { id: 3, name: 'c' }] });
    expect(r.body).toEqual({ users: [{ id: 1 }, { id: 2 }, { id: 3 }] });
    expect(r.unknown).toEqual({ [`users[*].${tag('email')}`]: 2, [`users[*].${tag('name')}`]: 1 });
  });

  test('removed array elements are taken out of the array', async () => {
    const r = await run({ 'xs[kind=keep]': WHOLE }, { xs: [{ kind: 'drop' }, { kind: 'keep', v: 1 }, 5, { kind: 'no' }] });
    expect(r.body).toEqual({ xs: [{ kind: 'keep', v: 1 }] });
    expect(r.unknown).toEqual({ 'xs[*]': 3 });
  });

  test('a primitive where a rule expects a container is not covered', async () => {
    const r = await run({ 'a.b': 'allow' }, { a: 5 });
    expect(r.body).toEqual({});
    expect(r.unknown).toEqual({ a: 1 });
  });

  test('null where rules name members passes as null (an empty collection as Go encodes it)', async () => {
    const r = await run({ 'users[*].id': 'allow', 'meta.version': 'allow', 'gone[*].id': 'allow', gone: 'drop' },
      { users: null, meta: null, gone: null, other: null });
    expect(r.body).toEqual({ users: null, meta: null });
    expect(r.dropped).toEqual({ gone: 1 });
    expect(r.unknown).toEqual({ [tag('other')]: 1 });
  });

  test('a root that is not an object: nothing is covered, the body is {}', async () => {
    for (const body of [[1, 2], 'text', 3, null, true] as JsonValue[]) {
      const r = await run({ '*': 'allow' }, body);
      expect(r).toEqual({ decision: 'forward', body: {}, unknown: { $: 1 }, dropped: {}, hashed: {}, ...NONE_INVALID });
    }
  });

  test('a policy without fields sends {} and reports every top-level key', async () => {
    const r = await run({}, { a: 1, b: { c: 2 } });
    expect(r.body).toEqual({});
    expect(r.unknown).toEqual({ [tag('a')]: 1, [tag('b')]: 1 });
  });
});

describe('precedence', () => {
  test('a rule on the value beats a rule on its ancestor, both ways', async () => {
    const r = await run({ users: 'drop', 'users[*].id': 'allow', meta: 'allow', 'meta.token': 'drop' },
      { users: [{ id: 1, email: 'e' }], meta: { version: '1', token: 't' } });
    expect(r.body).toEqual({ users: [{ id: 1 }], meta: { version: '1' } });
    expect(r.dropped).toEqual({ [`users[*].${tag('email')}`]: 1, 'meta.token': 1 });
  });

  test('at equal depth a literal key beats a wildcard', async () => {
    const r = await run({ 'tags.*': 'drop', 'tags.env': 'allow' }, { tags: { env: 'prod', owner: 'jane' } });
    expect(r.body).toEqual({ tags: { env: 'prod' } });
    expect(r.dropped).toEqual({ 'tags.*': 1 });
  });

  test('at equal depth a discriminator beats [*], and a literal beats a discriminator', async () => {
    const r = await run({ 'xs[*].v': 'drop', 'xs[k=a].v': 'allow', xs: WHOLE, 'xs[k=b]': 'drop', 'xs[k=b].k': 'allow' },
      { xs: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'c', v: 3 }] });
    expect(r.body).toEqual({ xs: [{ k: 'a', v: 1 }, { k: 'b' }, { k: 'c' }] });
    // the k=b element: its own rule (drop) is the ancestor of v, whose [*] rule (drop) is deeper
    expect(r.dropped).toEqual({ 'xs[*].v': 2 });
  });

  test('paths are compared segment by segment from the left', async () => {
    const fields = { 'a.*.c': 'drop', '*.b.c': 'allow', a: WHOLE, x: WHOLE };
    const r = await run(fields, { a: { b: { c: 1, d: 2 } }, x: { b: { c: 3 } } });
    expect(r.body).toEqual({ a: { b: { d: 2 } }, x: { b: { c: 3 } } });
    expect(r.dropped).toEqual({ 'a.b.c': 1 });
  });

  test('the language example: batch[*] drop with one field allowed for flowCreated elements', async () => {
    const r = await run({ 'batch[*]': 'drop', 'batch[event=flowCreated].properties.flowId': 'allow' }, {
      batch: [
        { event: 'flowCreated', userId: 'u', properties: { flowId: 'f1', name: 'My flow' } },
        { event: 'flowDeleted', properties: { flowId: 'f2' } },
      ],
    });
    expect(r.body).toEqual({ batch: [{ properties: { flowId: 'f1' } }] });
    expect(r.dropped).toEqual({ [`batch[*].${tag('event')}`]: 1, [`batch[*].${tag('userId')}`]: 1, [`batch[*].properties.${tag('name')}`]: 1, 'batch[*]': 1 });
    expect(r.unknown).toEqual({});
  });

  test('with two selecting discriminators at one place, the earlier rule wins', async () => {
    const r = await run({ 'xs[k=a]': WHOLE, 'xs[t=1]': 'drop' }, { xs: [{ k: 'a', t: 1 }, { k: 'b', t: 1 }] });
    expect(r.body).toEqual({ xs: [{ k: 'a', t: 1 }] });
    expect(r.dropped).toEqual({ 'xs[*]': 1 });
  });
});

describe('wildcards and report paths', () => {
  test('* covers any key; a key it covers is reported as *, keys no rule names by their tag', async () => {
    const body = { regions: { '1': { name: 'a', secret: 's' }, '999': { name: 'b', extra: { x: 1 } } } };
    const r = await run({ 'regions.*.name': 'allow', 'regions.*.secret': 'drop' }, body);
    expect(r.body).toEqual({ regions: { '1': { name: 'a' }, '999': { name: 'b' } } });
    expect(r.dropped).toEqual({ 'regions.*.secret': 1 });
    expect(r.unknown).toEqual({ [`regions.*.${tag('extra')}`]: 1 });
  });

  test('an object key matched by a * rule never appears in a report (it may be personal data)', async () => {
    const r = await run({ 'by_email.*': 'drop' }, { by_email: { 'jane@example.com': 1, 'joe@example.com': 2 } });
    expect(r.dropped).toEqual({ 'by_email.*': 2 });
    expect(JSON.stringify(r)).not.toContain('example.com');
  });

  test('[*] chains for nested arrays', async () => {
    const r = await run({ 'matrix[*][*]': 'allow' }, { matrix: [[1, 2], [3]] });
    expect(r.body).toEqual({ matrix: [[1, 2], [3]] });
  });

  test('a key no rule names is never written as sent, whatever it holds', async () => {
    const r = await run({}, { 'a.b': 1, '*': 2, '': 3, 'jane@corp.example': true });
    expect(r.unknown).toEqual({ [tag('a.b')]: 1, [tag('*')]: 1, [tag('')]: 1, [tag('jane@corp.example')]: 1 });
    expect(JSON.stringify(r)).not.toContain('jane');
  });
});

describe('quoted keys', () => {
  test('a quoted key matches the key holding the dot, not a nested path', async () => {
    const r = await run({ '"build.info".version': 'allow', 'build.info': 'drop' },
      { 'build.info': { version: '2', commit: 'abc' }, build: { info: 'x' } });
    expect(r.body).toEqual({ 'build.info': { version: '2' }, build: {} });
    expect(r.unknown).toEqual({ [`"build.info".${tag('commit')}`]: 1 });
    expect(r.dropped).toEqual({ 'build.info': 1 });
  });

  test('"*" in quotes is the literal key *', async () => {
    const r = await run({ '"*"': 'allow' }, { '*': 1, other: 2 });
    expect(r.body).toEqual({ '*': 1 });
    expect(r.unknown).toEqual({ [tag('other')]: 1 });
  });
});

describe('discriminators', () => {
  test('select elements by a string, number or boolean field compared by its text', async () => {
    const r = await run({ 'xs[n=7]': WHOLE, 'xs[b=true]': WHOLE, 'xs[s="flow.created"]': WHOLE },
      { xs: [{ n: 7 }, { n: '7' }, { n: 8 }, { b: true }, { b: 'false' }, { s: 'flow.created' }, { s: 'flow' }] });
    expect(r.body).toEqual({ xs: [{ n: 7 }, { n: '7' }, { b: true }, { s: 'flow.created' }] });
    expect(r.unknown).toEqual({ 'xs[*]': 3 });
  });

  test('can drop whole elements from an otherwise allowed array', async () => {
    const r = await run({ 'batch[*]': WHOLE, 'batch[type=identify]': 'drop' },
      { batch: [{ type: 'track', e: 1 }, { type: 'identify', traits: { email: 'jane@example.com' } }] });
    expect(r.body).toEqual({ batch: [{ type: 'track', e: 1 }] });
    expect(r.dropped).toEqual({ 'batch[*]': 1 });
  });

  test('elements that are not objects, or lack the field, fall to [*] rules', async () => {
    const r = await run({ 'xs[*]': WHOLE, 'xs[k=a]': 'drop' }, { xs: ['s', 1, null, [1], { j: 1 }, { k: 'a' }] });
    expect(r.body).toEqual({ xs: ['s', 1, null, [1], { j: 1 }] });
  });

  test('the field compared is the element\'s own, never an inherited one', async () => {
    const r = await run({ 'xs[constructor=x]': WHOLE, 'xs[toString=x]': WHOLE }, { xs: [{}, { v: 1 }] });
    expect(r.body).toEqual({ xs: [] });
  });
});

describe('guarantees the gateway relies on', () => {
  function deepFreeze<T>(v: T): T {
    if (typeof v === 'object' && v !== null) {
      Object.freeze(v);
      for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    }
    return v;
  }

  test('the input is never mutated', async () => {
    const text = JSON.stringify({ id: 'x', users: [{ id: 1, email: 'e' }, { id: 2 }], o: { a: 1, b: 2 }, u: 1 });
    const body = deepFreeze(JSON.parse(text) as JsonValue);
    const r = await run({ id: 'hash', 'users[*].id': 'hash', 'users[*].email': 'drop', 'o.a': 'allow' }, body);
    expect(JSON.stringify(body)).toBe(text);
    expect(r.body).toEqual({ id: fakePseudonym('x'), users: [{ id: fakePseudonym(1) }, { id: fakePseudonym(2) }], o: { a: 1 } });
  });

  test('__proto__, constructor and toString are plain data in the output and the reports', async () => {
    const body = JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":"t","x":{"__proto__":1}}') as JsonValue;
    // a computed key: in an object literal, a plain `__proto__:` would set the prototype
    const r = await run({ ['__proto__']: WHOLE, constructor: 'allow', toString: 'allow' }, body);
    const out = r.body as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"constructor":"c","toString":"t"}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(r.unknown).toEqual({ [tag('x')]: 1 });

    const dropped = await run({ 'x.keep': 'allow' }, JSON.parse('{"__proto__":1,"x":{"__proto__":2,"keep":3}}') as JsonValue);
    expect(JSON.stringify(dropped.body)).toBe('{"x":{"keep":3}}');
    expect(Object.keys(dropped.unknown)).toEqual([tag('__proto__'), `x.${tag('__proto__')}`]);
    expect(Object.getPrototypeOf(dropped.unknown)).toBe(Object.prototype);
  });

  test('a __proto__ member kept next to a removed one is copied as data', async () => {
    const body = JSON.parse('{"a":{"__proto__":{"p":1},"gone":2,"b":3}}') as JsonValue;
    const r = await run({ a: WHOLE, 'a.gone': 'drop' }, body);
    expect(JSON.stringify(r.body)).toBe('{"a":{"__proto__":{"p":1},"b":3}}');
    expect(Object.getPrototypeOf((r.body as Record<string, object>)['a'])).toBe(Object.prototype);
  });

  test('exact big integers pass as bigint, untouched', async () => {
    const big = 18446744073709551557n;
    const r = await run({ 'nodes[*].id': 'allow', 'nodes[*].key': 'drop' }, { nodes: [{ id: big, key: 'k' }] });
    expect(r.body).toEqual({ nodes: [{ id: big }] });
    expect(typeof ((r.body as { nodes: { id: unknown }[] }).nodes[0]!.id)).toBe('bigint');
  });

  test('a wholly allowed body comes out equal to the input', async () => {
    const body = { a: { b: [1, { c: 'd' }] }, e: 'f' };
    const r = await run({ a: WHOLE, e: 'allow' }, body);
    expect(r.body).toEqual(body);
  });
});
