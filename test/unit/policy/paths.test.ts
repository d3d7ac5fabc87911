/** The field path syntax of docs/policy-language.md: what parses, its normal form, and what is refused. */
import { formatKey, parseFieldPath, type PathSegment } from '../../../src/policy/paths';

function segments(text: string): readonly PathSegment[] {
  const r = parseFieldPath(text);
  if (!r.ok) throw new Error(`${text}: ${r.message}`);
  return r.path.segments;
}

function normal(text: string): string {
  const r = parseFieldPath(text);
  if (!r.ok) throw new Error(`${text}: ${r.message}`);
  return r.path.text;
}

describe('path syntax', () => {
  test('dotted keys', () => {
    expect(segments('a.b.c')).toEqual([
      { kind: 'key', name: 'a' }, { kind: 'key', name: 'b' }, { kind: 'key', name: 'c' }]);
  });

  test('wildcards: * for any key, [*] for any element, chained for nested arrays', () => {
    expect(segments('derp_map.Regions.*.region_id')).toEqual([
      { kind: 'key', name: 'derp_map' }, { kind: 'key', name: 'Regions' }, { kind: 'any-key' }, { kind: 'key', name: 'region_id' }]);
    expect(segments('matrix[*][*]')).toEqual([{ kind: 'key', name: 'matrix' }, { kind: 'any-index' }, { kind: 'any-index' }]);
    expect(segments('*')).toEqual([{ kind: 'any-key' }]);
  });

  test('quoted keys hold dots and other special characters; "…" takes JSON escapes', () => {
    expect(segments('"a.b".c')).toEqual([{ kind: 'key', name: 'a.b' }, { kind: 'key', name: 'c' }]);
    expect(segments("'a.b'.c")).toEqual([{ kind: 'key', name: 'a.b' }, { kind: 'key', name: 'c' }]);
    expect(segments('"tab\\there"')).toEqual([{ kind: 'key', name: 'tab\there' }]);
    expect(segments('"*"')).toEqual([{ kind: 'key', name: '*' }]);
    expect(segments('""')).toEqual([{ kind: 'key', name: '' }]);
  });

  test('discriminators select array elements by a field\'s value, quoted or not', () => {
    expect(segments('batch[event=flowCreated].properties.name')).toEqual([
      { kind: 'key', name: 'batch' }, { kind: 'match', field: 'event', value: 'flowCreated' },
      { kind: 'key', name: 'properties' }, { kind: 'key', name: 'name' }]);
    expect(segments('batch[event="flow.created"]')).toEqual([
      { kind: 'key', name: 'batch' }, { kind: 'match', field: 'event', value: 'flow.created' }]);
    expect(segments("batch['type'='a b']")).toEqual([
      { kind: 'key', name: 'batch' }, { kind: 'match', field: 'type', value: 'a b' }]);
    expect(segments('items[version=1.2]')).toEqual([
      { kind: 'key', name: 'items' }, { kind: 'match', field: 'version', value: '1.2' }]);
  });

  test('the normal form quotes only where needed, so equal paths compare equal', () => {
    expect(normal('"a".b')).toBe('a.b');
    expect(normal("'a'.'b'")).toBe('a.b');
    expect(normal("'a.b'.c")).toBe('"a.b".c');
    expect(normal('batch[event="flowCreated"]')).toBe('batch[event=flowCreated]');
    expect(normal('batch[event="flow created"]')).toBe('batch[event="flow created"]');
    expect(normal('"*".x')).toBe('"*".x');
    expect(normal('users[*].id')).toBe('users[*].id');
  });

  test.each([
    ['', 0, 'the path is empty'],
    ['.a', 0, 'the path starts with "."'],
    ['a.', 1, 'the path ends with "."'],
    ['a..b', 2, 'an empty key between dots'],
    ['[*].id', 0, 'a path starts with a key'],
    ['users[0]', 5, 'array positions like [0] are not supported'],
    ['users[*]x', 8, 'expected "." or "[" after "]"'],
    ['users[', 6, 'expected [*] or [field=value]'],
    ['users[a]', 7, 'expected "="'],
    ['users[a=]', 8, 'expected a value after "="'],
    ['users[a=b', 9, 'expected "]"'],
    ['a b', 1, 'unexpected " "'],
    ['a*', 1, 'unexpected "*"'],
    ['"a.b', 0, 'unterminated quote'],
    ['"\\q"', 0, 'invalid escape'],
  ])('%j is refused at offset %d', (text, offset, message) => {
    const r = parseFieldPath(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.offset).toBe(offset);
      expect(r.message).toContain(message);
    }
  });
});

describe('keys in report paths', () => {
  test('plain keys stay bare; keys with syntax characters are JSON-quoted', () => {
    expect(formatKey('email')).toBe('email');
    expect(formatKey('X-Coder-Version')).toBe('X-Coder-Version');
    expect(formatKey('999')).toBe('999');
    expect(formatKey('a.b')).toBe('"a.b"');
    expect(formatKey('*')).toBe('"*"');
    expect(formatKey('')).toBe('""');
    expect(formatKey('say "hi"')).toBe('"say \\"hi\\""');
    expect(formatKey('a[0]')).toBe('"a[0]"');
  });

  test('every key round-trips through its written form', () => {
    for (const key of ['a.b', '*', '', 'x"y', "it's", 'tab\t', 'a[*]', 'k=v', '__proto__', 'ünïcode']) {
      expect(segments(formatKey(key))).toEqual([{ kind: 'key', name: key }]);
    }
  });
});
