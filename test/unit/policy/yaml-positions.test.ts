/** Source positions from js-yaml's event stream: what error messages point at. Columns counted by hand. */
import { parseEvents } from 'js-yaml';
import { YamlLocator } from '../../../src/policy/yaml-positions';
import { parseYamlDocument } from '../../../src/policy/yaml-document';

function locator(source: string): YamlLocator {
  return new YamlLocator(source, parseEvents(source, {}));
}

test('block mappings: keys and values of every member, keys with "/" escaped as ~1', () => {
  const l = locator([
    'vendor: acme',              // 1
    'endpoints:',                // 2
    '  /snapshot:',              // 3
    '    method: POST',          // 4
    '    fields:',               // 5
    '      users[*].id: hash',   // 6
  ].join('\n'));
  expect(l.key('/vendor')).toEqual({ line: 1, column: 1 });
  expect(l.value('/vendor')).toEqual({ line: 1, column: 9 });
  expect(l.key('/endpoints/~1snapshot')).toEqual({ line: 3, column: 3 });
  expect(l.value('/endpoints/~1snapshot/method')).toEqual({ line: 4, column: 13 });
  expect(l.key('/endpoints/~1snapshot/fields/users[*].id')).toEqual({ line: 6, column: 7 });
  expect(l.value('/endpoints/~1snapshot/fields/users[*].id')).toEqual({ line: 6, column: 20 });
});

test('flow collections, sequences and quoted scalars (a quoted scalar starts at its quote)', () => {
  const l = locator([
    'hosts: [a.example, "b.example"]',          // 1
    "rule: { 1: 'hash', 2: allow }",            // 2
    'list:',                                    // 3
    '  - x',                                    // 4
    '  - { k: v }',                             // 5
  ].join('\n'));
  expect(l.value('/hosts/0')).toEqual({ line: 1, column: 9 });
  expect(l.value('/hosts/1')).toEqual({ line: 1, column: 20 });
  expect(l.key('/hosts/1')).toEqual({ line: 1, column: 20 });
  expect(l.key('/rule/1')).toEqual({ line: 2, column: 9 });
  expect(l.value('/rule/1')).toEqual({ line: 2, column: 12 });
  expect(l.value('/rule/2')).toEqual({ line: 2, column: 23 });
  expect(l.value('/list/1')).toEqual({ line: 5, column: 5 });
  expect(l.value('/list/1/k')).toEqual({ line: 5, column: 10 });
});

test('anchors, tags and aliases: a node starts at its anchor or tag', () => {
  const l = locator([
    'a: &x { k: 1 }',     // 1
    'b: *x',              // 2
    'c: !!str 5',         // 3
  ].join('\n'));
  expect(l.value('/a')).toEqual({ line: 1, column: 4 });
  expect(l.value('/b')).toEqual({ line: 2, column: 4 });
  expect(l.value('/c')).toEqual({ line: 3, column: 4 });
  // an aliased subtree has no positions of its own: its members point at the alias
  expect(l.value('/b/k')).toEqual({ line: 2, column: 4 });
});

test('a place the document lacks points at its nearest ancestor', () => {
  const l = locator('top:\n  inner: 1\n');
  expect(l.value('/top/missing/deeper')).toEqual({ line: 2, column: 3 }); // a block mapping starts at its first key
  expect(l.key('/top/missing')).toEqual({ line: 1, column: 1 });
  expect(l.value('/nothing')).toEqual(l.value(''));
});

test('js-yaml\'s own errors keep their position; a duplicate key names the key', () => {
  const dup = parseYamlDocument('a: 1\nb:\n  c: 1\n  c: 2\n', 'f.yaml');
  expect(dup).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'duplicate-key', file: 'f.yaml', line: 4, column: 3, key: 'c' })] });
  const bad = parseYamlDocument('a: [1, 2\n', 'f.yaml');
  expect(bad.ok).toBe(false);
});

test('quoted keys in YAML hold the path syntax\'s own quotes', () => {
  const r = parseYamlDocument('\'"a.b".c\': allow\n', 'f.yaml');
  expect(r.ok && r.value).toEqual({ '"a.b".c': 'allow' });
});
