/** Loading policies: what a loaded policy holds, its digest, and how a set of files is accepted or refused. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPolicyFile, loadPolicySet } from '../../../src/policy/load';
import { removeDir, tempDir, writePolicy } from './support/policy-files';

const VALID = path.resolve(__dirname, '../../fixtures/policies/valid/acme.yaml');

function minimal(vendor: string, hosts: string[] = []): string {
  return [
    `vendor: ${vendor}`,
    `upstream: https://telemetry.${vendor}.example`,
    `hosts: [${hosts.join(', ')}]`,
    'endpoints:',
    '  /t:',
    '    method: POST',
    '    local_reply: { status: 202 }',
    '    fields: { id: allow }',
    '',
  ].join('\n');
}

describe('a valid policy', () => {
  test('loads with its vendor, upstream, hosts and headers (lower-cased: both are case-insensitive)', async () => {
    const r = await loadPolicyFile(VALID);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const p = r.value;
    expect(p.vendor).toBe('acme');
    expect(p.file).toBe(VALID);
    expect(p.upstream).toBe('https://telemetry.acme.example');
    expect(p.hosts).toEqual(['telemetry.acme.example', 'stats.acme.example']);
    expect(p.headers).toEqual(['content-type', 'x-acme-version']);
    expect([...p.endpoints.keys()]).toEqual(['/snapshot', '/v1/batch']);
  });

  test('its digest is sha256 of the file bytes', async () => {
    const r = await loadPolicyFile(VALID);
    const expected = `sha256:${createHash('sha256').update(await readFile(VALID)).digest('hex')}`;
    expect(r.ok && r.value.digest).toBe(expected);
  });

  test('endpoints carry method, local reply (with defaults) and their rules in file order', async () => {
    const r = await loadPolicyFile(VALID);
    if (!r.ok) throw new Error('does not load');
    const snapshot = r.value.endpoints.get('/snapshot')!;
    expect(snapshot.method).toBe('POST');
    expect(snapshot.localReply).toEqual({ status: 202, body: '', contentType: 'text/plain' });
    expect(snapshot.rules.map((x) => x.path)).toEqual([
      'deployment_id', 'users[*].id', 'users[*].email', 'users[*].created_at', 'regions.*.name',
      '"build.info".version', 'matrix[*][*]']);
    expect(snapshot.rules[0]).toEqual({
      path: 'deployment_id', actions: { 1: 'hash', 2: 'allow' }, category: 'identifier',
      position: { file: VALID, line: 12, column: 7 },
      // `      deployment_id:          { 1: hash, 2: allow, …`: hash at column 36, allow at 45.
      actionPositions: { 1: { file: VALID, line: 12, column: 36 }, 2: { file: VALID, line: 12, column: 45 } },
    });
    expect(snapshot.rules[3]!.actions).toEqual({ 1: 'allow', 2: 'allow' });
    const batch = r.value.endpoints.get('/v1/batch')!;
    expect(batch.localReply).toEqual({ status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' });
    expect(batch.compiled[1].level).toBe(1);
    expect(batch.compiled[2].level).toBe(2);
  });
});

describe('a policy set', () => {
  let dir: string;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await removeDir(dir); });

  test('a folder means its *.yaml files, not its subfolders or fixture tests', async () => {
    await writePolicy(dir, 'alpha.yaml', minimal('alpha'));
    await writePolicy(dir, 'beta.yaml', minimal('beta'));
    await writePolicy(dir, 'notes.txt', 'not a policy');
    await mkdir(path.join(dir, 'tests'));
    await writePolicy(dir, 'tests/gamma.yaml', 'this: is not a policy');
    await writePolicy(dir, 'alpha-snapshot.test.yaml', 'name: a fixture test');
    const r = await loadPolicySet([dir]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect([...r.value.policies.keys()]).toEqual(['alpha', 'beta']);
    expect(r.value.loadedAt).toBeInstanceOf(Date);
  });

  test('files and folders can be mixed; a file named twice counts once', async () => {
    const alpha = await writePolicy(dir, 'alpha.yaml', minimal('alpha'));
    const other = path.join(dir, 'other');
    await mkdir(other);
    await writePolicy(other, 'beta.yaml', minimal('beta'));
    const r = await loadPolicySet([alpha, other, alpha, dir]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect([...r.value.policies.keys()].sort()).toEqual(['alpha', 'beta']);
  });

  test('one bad file refuses the whole set', async () => {
    await writePolicy(dir, 'alpha.yaml', minimal('alpha'));
    await writePolicy(dir, 'beta.yaml', minimal('beta').replace('id: allow', 'id: keep'));
    const r = await loadPolicySet([dir]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual([expect.objectContaining({ code: 'unknown-action', file: path.join(dir, 'beta.yaml'), line: 8, column: 19 })]);
    }
  });

  test('two files for one vendor are an error at the second vendor', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    await mkdir(a);
    await mkdir(b);
    await writePolicy(a, 'alpha.yaml', minimal('alpha'));
    await copyFile(path.join(a, 'alpha.yaml'), path.join(b, 'alpha.yaml'));
    const r = await loadPolicySet([a, b]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual([expect.objectContaining({
        code: 'duplicate-vendor', file: path.join(b, 'alpha.yaml'), line: 1, column: 9, key: 'vendor' })]);
      expect(r.errors[0]!.message).toContain(path.join(a, 'alpha.yaml'));
    }
  });

  test('two vendors claiming one host (in any case) are an error at the second claim', async () => {
    await writePolicy(dir, 'alpha.yaml', minimal('alpha', ['t.example.com']));
    await writePolicy(dir, 'beta.yaml', minimal('beta', ['x.example.com', 'T.Example.com']));
    const r = await loadPolicySet([dir]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      // line 3 is `hosts: [x.example.com, T.Example.com]`: the second host starts at column 24
      expect(r.errors).toEqual([expect.objectContaining({
        code: 'duplicate-host', file: path.join(dir, 'beta.yaml'), line: 3, column: 24, key: 't.example.com' })]);
      expect(r.errors[0]!.message).toContain('vendor "alpha"');
    }
  });

  test('a missing path, and a folder without policies, are errors', async () => {
    const missing = path.join(dir, 'nope');
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const r = await loadPolicySet([missing, empty]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => [e.code, e.file])).toEqual([['no-policies', empty], ['io', missing]]);
    }
  });

  test('the shipped vendor packs load as a set', async () => {
    const r = await loadPolicySet([path.resolve(__dirname, '../../../policies')]);
    expect(r.ok ? [...r.value.policies.keys()].sort() : r.errors).toEqual(expect.arrayContaining(['coder']));
  });
});
