/**
 * What `telegate policy check` tells a security engineer about a broken policy: every error with its
 * file, line and column (counted by hand in the fixtures under test/fixtures/policies/invalid) and the
 * offending key.
 */
import path from 'node:path';
import { formatPolicyError } from '../../../src/policy/errors';
import { loadPolicyFile } from '../../../src/policy/load';
import type { PolicyError } from '../../../src/policy/types';

const INVALID = path.resolve(__dirname, '../../fixtures/policies/invalid');

async function errorsOf(name: string): Promise<PolicyError[]> {
  const result = await loadPolicyFile(path.join(INVALID, name));
  if (result.ok) throw new Error(`${name} loaded, but it is invalid`);
  return result.errors;
}

type Expected = [code: string, line: number, column: number, key?: string];

function summary(errors: PolicyError[]): Expected[] {
  return errors.map((e) => (e.key === undefined ? [e.code, e.line, e.column] : [e.code, e.line, e.column, e.key]));
}

describe('policy errors name file, line, column and key', () => {
  const cases: [string, Expected[]][] = [
    ['bad-action.yaml', [
      ['unknown-action', 9, 22, 'users[*].name'],
      ['unknown-action', 10, 34, 'users[*].id'],
    ]],
    ['duplicate-key.yaml', [['duplicate-key', 7, 5, 'method']]],
    ['unknown-keys.yaml', [
      ['schema', 1, 1, 'upstream'],
      ['schema', 2, 1, 'upsteam'],
      ['schema', 4, 3, 'method'],
      ['schema', 5, 5, 'methd'],
      ['schema', 8, 13, '0'],
    ]],
    ['path-syntax.yaml', [
      ['path-syntax', 8, 7, 'users[0].id'],
      ['path-syntax', 9, 7, 'a..b'],
      ['path-syntax', 10, 7, 'users[*]x'],
      ['path-syntax', 11, 7, '[*].id'],
      ['path-syntax', 12, 7, 'a[kind = x]'],
    ]],
    ['duplicate-rule.yaml', [
      ['duplicate-rule', 9, 7, '"a".b'],
      ['duplicate-rule', 11, 7, 'batch[event="x"]'],
    ]],
    ['hash-on-container.yaml', [
      ['hash-on-container', 8, 22, 'users[*]'],
      ['hash-on-container', 10, 15, 'tags.*'],
    ]],
    ['vendor-name.yaml', [['vendor-name', 1, 9, 'vendor']]],
    ['names-and-urls.yaml', [
      ['upstream', 2, 11, 'upstream'],
      ['forbidden-header', 3, 25, 'X-Forwarded-For'],
      ['forbidden-header', 3, 42, 'cookie'],
      ['endpoint-path', 5, 3, 'snapshot'],
    ]],
    ['schema-types.yaml', [
      ['upstream', 2, 11, 'upstream'],
      ['schema', 3, 33, '1'],
      ['schema', 6, 13, 'method'],
      ['schema', 7, 28, 'status'],
      ['schema', 9, 7, '2'],
      ['schema', 10, 44, 'category'],
      ['schema', 11, 13, 'name'],
    ]],
    ['yaml-syntax.yaml', [['yaml', 4, 1]]],
    ['multi-doc.yaml', [['yaml', 3, 1]]],
    ['empty.yaml', [['yaml', 1, 1]]],
  ];

  test.each(cases)('%s', async (name, expected) => {
    const errors = await errorsOf(name);
    expect(summary(errors)).toEqual(expected);
    for (const e of errors) expect(e.file).toBe(path.join(INVALID, name));
  });
});

describe('messages say what is wrong and what would be right', () => {
  test('an unknown action, as printed by policy check', async () => {
    const [first] = await errorsOf('bad-action.yaml');
    expect(formatPolicyError(first!)).toBe(
      `${path.join(INVALID, 'bad-action.yaml')}:9:22: endpoint "/snapshot" field "users[*].name": ` +
      'unknown action "hsah" (expected allow, hash or drop)');
  });

  test('an unknown action at one level names the level', async () => {
    const [, second] = await errorsOf('bad-action.yaml');
    expect(second!.message).toBe('endpoint "/snapshot" field "users[*].id" level 2: unknown action "keep" (expected allow, hash or drop)');
  });

  test('an unknown key lists the keys allowed there', async () => {
    const errors = await errorsOf('unknown-keys.yaml');
    expect(errors.find((e) => e.key === 'methd')!.message)
      .toBe('unknown key "methd" in endpoint "/snapshot" (allowed: description, method, local_reply, limits, fields)');
    expect(errors.find((e) => e.key === '0')!.message).toContain('level 0 needs no rules');
  });

  test('a duplicate YAML key is named', async () => {
    const [e] = await errorsOf('duplicate-key.yaml');
    expect(e!.message).toBe('duplicate key "method": a key may appear only once in a mapping');
  });

  test('a duplicate rule points back to the first one', async () => {
    const [e] = await errorsOf('duplicate-rule.yaml');
    expect(e!.message).toContain('the same path as "a.b" on line 8');
  });

  test('hash on a container names the rule that descends into it', async () => {
    const [e] = await errorsOf('hash-on-container.yaml');
    expect(e!.message).toContain('hash at level 1 on a container');
    expect(e!.message).toContain('"users[*].id" (line 9)');
  });

  test('path syntax errors say where in the path', async () => {
    const errors = await errorsOf('path-syntax.yaml');
    expect(errors[0]!.message).toContain('array positions like [0] are not supported: use [*] or [field=value]');
    expect(errors[1]!.message).toContain('(at character 3)');
  });

  test('credentials in the upstream URL are refused without repeating them', async () => {
    const [e] = await errorsOf('schema-types.yaml');
    expect(e!.message).toContain('must not hold credentials');
    expect(e!.message).not.toContain('secret@');
  });

  test('YAML syntax errors carry js-yaml\'s reason', async () => {
    const [e] = await errorsOf('yaml-syntax.yaml');
    expect(e!.message).toMatch(/^YAML syntax: /);
  });
});

test('a file that does not exist is an error, not an exception', async () => {
  const file = path.join(INVALID, 'no-such-policy.yaml');
  const result = await loadPolicyFile(file);
  expect(result).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'io', file, line: 1, column: 1 })] });
});
