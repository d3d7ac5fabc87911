/**
 * Value constraints and shapes (issue 12, points 1 and 2), through real policy files: what each
 * constraint admits and refuses, `invalid: drop|hash`, `keys:` on a wildcard, and the errors `policy
 * check` gives for constraints that cannot mean anything. Expected values come from the standards the
 * types name (RFC 9562, RFC 3339, semver.org), written out here, never from the code under test.
 */
import { transform } from '../../../src/policy/transform';
import type { JsonValue } from '../../../src/json/types';
import type { TransformResult } from '../../../src/policy/types';
import { fakePseudonym, fakePseudonymizer } from './support/fake-pseudonymizer';
import { endpointWith, type RuleSpec } from './support/policy-files';

async function run(fields: Record<string, RuleSpec>, body: JsonValue, level: 1 | 2 = 2): Promise<TransformResult> {
  return transform(await endpointWith(fields), level, body, fakePseudonymizer);
}

/** Each value through `v: {rule}`: the ones that arrive. */
async function admitted(rule: Record<string, unknown>, values: JsonValue[]): Promise<JsonValue[]> {
  const r = await run({ 'v[*]': { 1: 'allow', 2: 'allow', ...rule } }, { v: values });
  return (r.body as { v: JsonValue[] }).v;
}

describe('types', () => {
  test('uuid: the 8-4-4-4-12 text form of RFC 9562, any version, either case', async () => {
    const good = ['0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1e', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '00000000-0000-0000-0000-000000000000'];
    const bad = ['0b9d6c2e1f3a4b5c8d7e6f5a4b3c2d1e', '0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1', '{0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1e}', 'g0000000-0000-0000-0000-000000000000', 7, null];
    expect(await admitted({ type: 'uuid' }, [...good, ...bad])).toEqual(good);
  });

  test('timestamp: RFC 3339 date-time, its fields in range', async () => {
    const good = ['2024-05-02T10:20:30Z', '2024-05-02t10:20:30.123456789+02:00', '2024-02-29T23:59:60Z', '0001-01-01T00:00:00Z'];
    const bad = ['2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-05-02 10:20:30Z', '2024-05-02T10:20:30', '2024-05-02T24:00:00Z', '2024-05-02T10:20:30+24:00', '2024-05-02', 1714645230];
    expect(await admitted({ type: 'timestamp' }, [...good, ...bad])).toEqual(good);
  });

  test('semver: semver.org 2.0.0, with or without a leading v', async () => {
    const good = ['1.2.3', 'v2.15.0', 'v2.15.0-rc.1+a1b2c3d', '0.0.0-devel', '1.0.0-alpha.beta.1'];
    const bad = ['1.2', 'v01.2.3', '1.2.3-', '1.2.3+', '1.2.3 jane@corp.example', 'latest', 12];
    expect(await admitted({ type: 'semver' }, [...good, ...bad])).toEqual(good);
  });

  test('number, integer, boolean, null, string, and a list of types', async () => {
    expect(await admitted({ type: 'integer' }, [1, 1.5, -3, '1', true])).toEqual([1, -3]);
    expect(await admitted({ type: 'number' }, [1, 1.5, '1', null])).toEqual([1, 1.5]);
    expect(await admitted({ type: ['boolean', 'null'] }, [true, false, null, 0, 'true'])).toEqual([true, false, null]);
    expect(await admitted({ type: 'string' }, ['x', '', 1, null])).toEqual(['x', '']);
  });

  test('big integers are integers and numbers', async () => {
    expect(await admitted({ type: 'integer' }, [18446744073709551557n])).toEqual([18446744073709551557n]);
  });
});

describe('pattern, enum, max_length', () => {
  test('pattern matches the whole string (implicitly anchored), and implies type string', async () => {
    expect(await admitted({ pattern: '[a-z]+' }, ['abc', 'abc1', '1abc', 'a\nb', 7, true])).toEqual(['abc']);
    expect(await admitted({ pattern: 'a|bc' }, ['a', 'bc', 'abc', 'ab'])).toEqual(['a', 'bc']);
  });

  test('pattern on a type that admits other values constrains only the strings', async () => {
    expect(await admitted({ type: ['string', 'null'], pattern: 'x{2}' }, ['xx', 'x', null, 1])).toEqual(['xx', null]);
  });

  test('enum compares JSON type and value', async () => {
    expect(await admitted({ enum: ['1', 2, true, null] }, ['1', 1, 2, '2', true, 'true', null, 'null'])).toEqual(['1', 2, true, null]);
  });

  test('max_length counts Unicode code points, not UTF-16 units', async () => {
    expect(await admitted({ max_length: 2 }, ['ab', 'abc', '😀😀', '😀😀😀', 'é'])).toEqual(['ab', '😀😀', 'é']);
  });

  test('every member must hold', async () => {
    expect(await admitted({ type: 'string', pattern: '[a-z]*', max_length: 3, enum: ['ab', 'abcd', 'AB'] }, ['ab', 'abcd', 'AB'])).toEqual(['ab']);
  });

  test('a pattern that a backtracking engine would take exponential time on is matched at once (RE2)', async () => {
    // (a+)+$ against "aaaa…!" is the classic catastrophic backtracking case; RE2 runs in linear time.
    expect(await admitted({ pattern: '(a+)+' }, [`${'a'.repeat(50_000)}!`, 'aaa'])).toEqual(['aaa']);
  });
});

describe('a value that fails: invalid', () => {
  test('is removed and reported under invalid, by default', async () => {
    const r = await run({ version: { 1: 'allow', 2: 'allow', type: 'semver' } }, { version: 'v2 by jane@corp.example' });
    expect(r.body).toEqual({});
    expect(r.invalid).toEqual({ version: 1 });
    expect(JSON.stringify(r)).not.toContain('jane');
  });

  test('is pseudonymized where the rule says invalid: hash, and still reported invalid', async () => {
    const r = await run({ model: { 1: 'allow', 2: 'allow', pattern: 'gpt-[0-9a-z.-]+', invalid: 'hash' } }, { model: 'acme-internal-llm' });
    expect(r.body).toEqual({ model: fakePseudonym('acme-internal-llm') });
    expect(r.invalid).toEqual({ model: 1 });
    expect(r.hashed).toEqual({});
  });

  test('a hash rule checks its constraint before hashing', async () => {
    const r = await run({ id: { 1: 'hash', 2: 'hash', type: 'uuid' } }, { id: 'not-a-uuid' }, 1);
    expect(r.body).toEqual({});
    expect(r.invalid).toEqual({ id: 1 });
  });

  test('a drop rule drops, whatever its constraint says', async () => {
    const r = await run({ x: { 1: 'drop', 2: 'drop', type: 'string' } }, { x: 5 });
    expect(r.dropped).toEqual({ x: 1 });
    expect(r.invalid).toEqual({});
  });
});

describe('shapes', () => {
  test('an object or array where a rule allows a leaf is invalid at both levels; a scalar passes', async () => {
    for (const level of [1, 2] as const) {
      const r = await run({ os_type: 'allow' }, { os_type: { owner_email: 'jane@corp.example' } }, level);
      expect(r.body).toEqual({});
      expect(r.invalid).toEqual({ os_type: 1 });
      const list = await run({ os_type: 'allow' }, { os_type: ['linux'] }, level);
      expect(list.invalid).toEqual({ os_type: 1 });
    }
  });

  test('the members of an array a [*] rule governs: an object instead of the array is not covered', async () => {
    const r = await run({ 'scopes[*]': { 1: 'allow', 2: 'allow', pattern: '[a-z]+' } }, { scopes: { a: 'jane' } });
    expect(r.body).toEqual({ scopes: {} });
    expect(Object.values(r.unknown)).toEqual([1]);
  });
});

describe('keys on a wildcard', () => {
  test('a member whose key fails is removed, reported invalid under the wildcard path, its key never written', async () => {
    const r = await run({ 'latency.*': { 1: 'allow', 2: 'allow', type: 'integer', keys: { pattern: '-?[0-9]{1,19}' } } },
      { latency: { '1': 12, '900': 30, 'jane@corp.example': 5, 'x': 1 } });
    expect(r.body).toEqual({ latency: { '1': 12, '900': 30 } });
    expect(r.invalid).toEqual({ 'latency.*': 2 });
    expect(JSON.stringify(r)).not.toContain('jane');
  });

  test('keys: enum and max_length', async () => {
    const r = await run({ 'm.*': { 1: 'allow', 2: 'allow', keys: { enum: ['a', 'bbbb'], max_length: 3 } } }, { m: { a: 1, bbbb: 2, c: 3 } });
    expect(r.body).toEqual({ m: { a: 1 } });
  });
});

describe('what policy check refuses', () => {
  const fails = async (fields: Record<string, RuleSpec>): Promise<string> => {
    try {
      await endpointWith(fields);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the policy loaded');
  };

  test('a pattern RE2 does not accept, with its position', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', pattern: '(?<=a)b' } })).toMatch(/^\d+:\d+: .*pattern: not an RE2 regular expression/);
    expect(await fails({ x: { 1: 'allow', 2: 'allow', pattern: '(a' } })).toMatch(/not an RE2 regular expression/);
  });

  test('pattern on a type that admits no string', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', type: 'integer', pattern: '1' } })).toMatch(/pattern and max_length describe strings/);
  });

  test('keys on a path that does not end in *', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', keys: { pattern: 'a' } } })).toMatch(/does not end in \*/);
  });

  test('a value constraint on a container other rules descend into', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', type: 'string' }, 'x.y': 'allow' })).toMatch(/value constraint on a container/);
  });

  test('subtree: true without a reason, or with a constraint', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', subtree: true } })).toMatch(/say why in reason/);
    expect(await fails({ x: { 1: 'allow', 2: 'allow', subtree: true, reason: 'r', type: 'string' } })).toMatch(/no value constraint/);
  });

  test('a detector opt-out without a reason', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', detectors: 'off' } })).toMatch(/say why in reason/);
    expect(await fails({ x: { 1: 'allow', 2: 'allow', detectors: ['nosuch'] } })).toMatch(/"nosuch" is not one of pem, jwt/);
  });

  test('invalid: without a constraint', async () => {
    expect(await fails({ x: { 1: 'allow', 2: 'allow', invalid: 'hash' } })).toMatch(/has no value constraint/);
  });
});
