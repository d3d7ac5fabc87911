import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadHashKey } from '../../../src/policy';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'telegate-key-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const SECRET = '9f2c6b1e0d8a4f3b7c5e2a1d0b9c8e7f';

describe('the hash key', () => {
  test('TELEGATE_HASH_KEY wins over a key file and generates nothing', async () => {
    const keyFile = path.join(dir, 'key');
    await writeFile(keyFile, 'another secret, long enough\n', { mode: 0o600 });
    const dataDir = path.join(dir, 'data');
    const k = await loadHashKey({ env: { TELEGATE_HASH_KEY: SECRET }, keyFile, dataDir });
    expect(k.source).toBe('env');
    expect(k.key.toString('utf8')).toBe(SECRET);
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('the same secret in the variable or in a file written with a final newline is the same key', async () => {
    const keyFile = path.join(dir, 'key');
    await writeFile(keyFile, `${SECRET}\n`, { mode: 0o600 });
    const fromFile = await loadHashKey({ env: {}, keyFile, dataDir: dir });
    const fromEnv = await loadHashKey({ env: { TELEGATE_HASH_KEY: SECRET }, dataDir: dir });
    expect(fromFile.source).toBe('key_file');
    expect(fromFile.key.equals(fromEnv.key)).toBe(true);
  });

  test('without one, a key is generated once into the data folder: 0600 in a 0700 folder, with a warning that holds no key', async () => {
    const dataDir = path.join(dir, 'data');
    const warnings: string[] = [];
    const first = await loadHashKey({ env: {}, dataDir, warn: (m) => warnings.push(m) });
    expect(first.source).toBe('generated');
    const file = path.join(dataDir, 'hash.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await readFile(file, 'utf8'))).toMatch(/^[0-9a-f]{64}\n$/);
    expect(first.key.length).toBe(64);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/generated/);
    expect(warnings[0]).not.toContain(first.key.toString('utf8'));

    const again = await loadHashKey({ env: {}, dataDir, warn: (m) => warnings.push(m) });
    expect(again.source).toBe('data_dir');
    expect(again.key.equals(first.key)).toBe(true);
    expect(warnings).toHaveLength(1);
  });

  test('replicas starting together on one data folder end up with one key', async () => {
    const dataDir = path.join(dir, 'shared');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadHashKey({ env: {}, dataDir })));
    expect(new Set(keys.map((k) => k.key.toString('hex'))).size).toBe(1);
    expect(keys.filter((k) => k.source === 'generated')).toHaveLength(1);
  });

  test('a key shorter than 16 bytes is refused, naming where it came from and not what it is', async () => {
    await expect(loadHashKey({ env: { TELEGATE_HASH_KEY: 'tiny-secret' }, dataDir: dir }))
      .rejects.toThrow(/TELEGATE_HASH_KEY: .*at least 16/);
    await expect(loadHashKey({ env: { TELEGATE_HASH_KEY: 'tiny-secret' }, dataDir: dir }))
      .rejects.not.toThrow(/tiny-secret/);
  });

  test('a missing key file is an error, not a silently generated key', async () => {
    await expect(loadHashKey({ env: {}, keyFile: path.join(dir, 'nope'), dataDir: dir })).rejects.toThrow(/hash.key_file .*nope.*ENOENT/);
  });

  test('a key file readable by others is used, with a warning', async () => {
    const keyFile = path.join(dir, 'key');
    await writeFile(keyFile, SECRET);
    await chmod(keyFile, 0o644);
    const warnings: string[] = [];
    await loadHashKey({ env: {}, keyFile, dataDir: dir, warn: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/readable by others \(mode 0644\)/);
    expect(warnings.join('\n')).not.toContain(SECRET);
  });
});
