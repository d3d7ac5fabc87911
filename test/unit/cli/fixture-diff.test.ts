/**
 * Fixture comparison is exact where the vendor would notice (values, types, array order) and indifferent
 * where it cannot (object key order, a big integer held as bigint or as number).
 */
import type { JsonValue } from '../../../src/json/types';
import { diffJson, formatValuePath, jsonEqual } from '../../../src/policy/fixture-diff';

describe('fixture body comparison', () => {
  it('ignores object key order but not array order', () => {
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEqual({ b: [1, 2] }, { b: [2, 1] })).toBe(false);
  });

  it('compares numbers by value across number and bigint, and never a number with its text', () => {
    expect(jsonEqual({ n: 42 }, { n: 42n })).toBe(true);
    expect(jsonEqual({ n: 18446744073709551615n }, { n: 18446744073709551615n })).toBe(true);
    expect(jsonEqual({ n: 18446744073709551615n }, { n: 18446744073709551614n })).toBe(false);
    expect(jsonEqual({ n: 1.5 }, { n: 1n })).toBe(false);
    expect(jsonEqual({ n: 42 }, { n: '42' })).toBe(false);
  });

  it('tells an absent field from a null one', () => {
    expect(jsonEqual({ a: null }, {})).toBe(false);
    const diff = diffJson({ a: null }, {}, 10);
    expect(diff.differences).toEqual([{ path: ['a'], expected: null, actual: undefined }]);
  });

  it('lists the first differences in document order and counts them all', () => {
    const expected: JsonValue = { users: [{ id: 'a', email: 'x' }, { id: 'b' }], version: 'v1' };
    const actual: JsonValue = { users: [{ id: 'a' }, { id: 'c' }, { id: 'd' }], version: 'v1', hostname: 'h' };
    const diff = diffJson(expected, actual, 2);
    expect(diff.total).toBe(4);
    expect(diff.differences.map((d) => formatValuePath(d.path))).toEqual(['users[0].email', 'users[1].id']);
    const all = diffJson(expected, actual, 10);
    expect(all.differences.map((d) => formatValuePath(d.path))).toEqual(['users[0].email', 'users[1].id', 'users[2]', 'hostname']);
  });

  it('writes paths as the policy language does, quoting keys that are not plain', () => {
    expect(formatValuePath([])).toBe('(body)');
    expect(formatValuePath(['derp_map', 'Regions', '1', 'nodes', 0, 'host.name'])).toBe('derp_map.Regions."1".nodes[0]."host.name"');
  });
});
