/** The configuration file: what it sets, and how each mistake in it is reported. */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, configDir, loadErrors, loadOk, removeConfigDirs } from './load-fixture';

afterAll(removeConfigDirs);

const at = { env: {}, cwd: FIXTURES };

describe('valid files', () => {
  test('the example of SPEC §4 gives the defaults, with coder and automatisch at level 1', async () => {
    const config = await loadOk({ ...at, file: 'valid/spec-example.yaml' });
    const defaults = await loadOk(at);
    expect(config).toEqual({ ...defaults, vendors: { coder: { level: 1 }, automatisch: { level: 1 } } });
  });

  test('a file of comments only keeps every default', async () => {
    expect(await loadOk({ ...at, file: 'valid/comments-only.yaml' })).toEqual(await loadOk(at));
  });

  test('an empty file keeps every default', async () => {
    const dir = await configDir();
    await writeFile(path.join(dir, 'empty.yaml'), '');
    expect(await loadOk({ env: {}, cwd: dir, file: 'empty.yaml' })).toEqual(await loadOk({ env: {}, cwd: dir }));
  });

  test('every option set in the file is used; relative paths resolve against the working directory', async () => {
    expect(await loadOk({ ...at, file: 'valid/full.yaml' })).toEqual({
      listen: [{
        host: '10.1.2.3', port: 8443,
        tls: { cert: path.join(FIXTURES, 'tls/cert.pem'), key: path.join(FIXTURES, 'tls/key.pem') },
      }],
      admin: { host: '0.0.0.0', port: 9443, token: 'file-token-7f3a9c' },
      policies: '/etc/telegate/policies',
      data_dir: '/var/lib/telegate',
      vendors: {
        coder: { level: 2, upstream: 'https://telemetry-proxy.corp.example/coder' },
        automatisch: { level: 0 },
        'my-vendor': { level: 1, upstream: 'http://10.0.0.9:8080' },
      },
      defaultLevel: 1,
      audit: {
        dir: '/var/log/telegate/audit', replica: 'eu-west_1', max_file_bytes: 1048576, fsync: false,
        checkpoint: {
          origin: 'audit.corp.example/telegate', interval_s: 15, witness_url: 'https://witness.corp.example/add',
          key_file: path.join(FIXTURES, 'checkpoint/signing-key.pem'),
        },
      },
      hash: { key_file: path.join(FIXTURES, 'secrets/hash.key') },
      limits: {
        body_bytes: 1000, inflated_bytes: 4000, inflate_ratio: 20, judge_budget_bytes: 8000, judge_wait_ms: 500, judge_thread_bytes: 100000,
        depth: 16, values: 50000, connections: 64,
        connections_per_client: 8, body_timeout_ms: 2500, body_min_rate: 512, write_timeout_ms: 7000,
      },
      upstream: { timeout_ms: 5000 },
      workers: 3,
      log: { level: 'debug' },
    });
  });

  test('keys a file leaves out keep their defaults, also inside a mapping it gives', async () => {
    const config = await loadOk({ ...at, file: 'valid/partial.yaml' });
    expect(config.listen).toEqual([{ host: '0.0.0.0', port: 18080 }]);
    expect(config.audit).toEqual({
      dir: path.join(FIXTURES, 'audit'), replica: 'gw-2', max_file_bytes: 268435456, fsync: true,
      checkpoint: { origin: 'telegate', interval_s: 60, witness_url: null, key_file: null },
    });
    expect(config.vendors).toEqual({ coder: { level: 0 } });
    expect(config.defaultLevel).toBe(1);
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090 });
  });

  test('the file may be given as an absolute path', async () => {
    const config = await loadOk({ env: {}, cwd: os.tmpdir(), file: path.join(FIXTURES, 'valid/partial.yaml') });
    expect(config.listen[0]!.port).toBe(18080);
  });
});

describe('which file', () => {
  test('TELEGATE_CONFIG names the file when no file option is given', async () => {
    const config = await loadOk({ env: { TELEGATE_CONFIG: 'valid/partial.yaml' }, cwd: FIXTURES });
    expect(config.listen[0]!.port).toBe(18080);
  });

  test('the file option (--config) wins over TELEGATE_CONFIG', async () => {
    const config = await loadOk({ env: { TELEGATE_CONFIG: 'valid/partial.yaml' }, cwd: FIXTURES, file: 'valid/full.yaml' });
    expect(config.listen[0]!.port).toBe(8443);
  });

  test('a file that does not exist is an error naming it', async () => {
    expect(await loadErrors({ ...at, file: 'no-such.yaml' }))
      .toEqual(['no-such.yaml: cannot read the configuration file: no such file']);
  });

  test('a folder is not a configuration file', async () => {
    const errors = await loadErrors({ ...at, file: 'valid' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^valid: cannot read the configuration file/);
  });
});

describe('invalid files: each error names the file and the key, and says what is wrong', () => {
  test.each([
    ['unknown-key.yaml', 'listen.prot: unknown key'],
    ['unknown-top-level-key.yaml', 'vendor: unknown key'],
    ['unknown-vendor-key.yaml', 'vendors.coder.levle: unknown key'],
    ['bad-level.yaml', 'vendors.coder.level: must be 0, 1 or 2'],
    ['level-as-word.yaml', 'vendors.automatisch.level: must be 0, 1 or 2'],
    ['bad-vendor-name.yaml', 'vendors.Coder: is not a vendor name'],
    ['port-out-of-range.yaml', 'admin.port: must be at most 65535'],
    ['port-not-a-number.yaml', 'listen.port: must be an integer'],
    ['bad-upstream-scheme.yaml', 'vendors.coder.upstream: must be an http:// or https:// URL'],
    ['upstream-with-credentials.yaml', 'vendors.coder.upstream: must not hold credentials'],
    ['bad-replica.yaml', 'audit.replica: must be 1 to 64 letters, digits, "_" or "-"'],
    ['replica-default.yaml', 'audit.replica: must be 1 to 64 letters, digits, "_" or "-", starting with a letter or digit, and not "default"'],
    ['bad-log-level.yaml', 'log.level: must be fatal, error, warn, info, debug, trace or silent'],
    ['zero-depth.yaml', 'limits.depth: must be at least 1'],
    ['fsync-as-string.yaml', 'audit.fsync: must be true or false'],
    ['tls-without-key.yaml', 'listen.tls.key: missing'],
    ['tls-cert-missing.yaml', `listen.tls.cert: cannot read ${path.join(FIXTURES, 'tls/no-such-cert.pem')}: no such file`],
    ['empty-listen.yaml', 'listen: must be a mapping or a list'],
    ['token-wrong-place.yaml', 'listen.token: unknown key'],
    ['bad-checkpoint-origin.yaml', 'audit.checkpoint.origin: must be 1 to 200 letters, digits and "._~:@/-"'],
    ['zero-checkpoint-interval.yaml', 'audit.checkpoint.interval_s: must be at least 1'],
  ])('%s: %s', async (name, expected) => {
    const file = `invalid/${name}`;
    const errors = await loadErrors({ ...at, file });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.startsWith(`${file}: ${expected}`)).toBe(true);
  });

  test('a checkpoint key file that cannot be read is named (the file or TELEGATE_CHECKPOINT_KEY_FILE may have set it)', async () => {
    expect(await loadErrors({ ...at, file: 'invalid/checkpoint-key-missing.yaml' }))
      .toEqual([`audit.checkpoint.key_file: cannot read ${path.join(FIXTURES, 'checkpoint/no-such-key.pem')}: no such file`]);
  });

  test('an unknown key lists the keys allowed where it stands', async () => {
    expect(await loadErrors({ ...at, file: 'invalid/unknown-key.yaml' }))
      .toEqual(['invalid/unknown-key.yaml: listen.prot: unknown key (allowed: host, port, tls)']);
  });

  test('a file that is not a mapping says so', async () => {
    const errors = await loadErrors({ ...at, file: 'invalid/not-a-mapping.yaml' });
    expect(errors).toEqual(['invalid/not-a-mapping.yaml: the file must be a mapping']);
  });

  test('a file with several mistakes reports every one of them', async () => {
    const dir = await configDir();
    await writeFile(path.join(dir, 'many.yaml'), 'listen: { prot: 1 }\nvendors: { coder: { level: 5 } }\nlog: { level: loud }\n');
    const errors = await loadErrors({ env: {}, cwd: dir, file: 'many.yaml' });
    expect(errors).toHaveLength(3);
    expect(errors.map((e) => e.split(': ')[1])).toEqual(['listen.prot', 'vendors.coder.level', 'log.level']);
  });

  test('the admin and listen ports must differ on one address', async () => {
    const errors = await loadErrors({ ...at, file: 'invalid/same-ports.yaml' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^admin\.port: 9090 is also listen\.port/);
  });

  test('the same port on two different specific addresses is allowed', async () => {
    const dir = await configDir();
    await writeFile(path.join(dir, 'c.yaml'), 'listen: { host: 10.0.0.5, port: 9090 }\n');
    expect((await loadOk({ env: {}, cwd: dir, file: 'c.yaml' })).listen[0]!.port).toBe(9090);
  });
});

describe('YAML syntax errors give file:line:col', () => {
  test('bad indentation points at the line and column of the misplaced key', async () => {
    const errors = await loadErrors({ ...at, file: 'invalid/bad-indentation.yaml' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^invalid\/bad-indentation\.yaml:3:2: YAML syntax: /);
  });

  test('a duplicate key points at its second occurrence', async () => {
    const errors = await loadErrors({ ...at, file: 'invalid/duplicate-key.yaml' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^invalid\/duplicate-key\.yaml:3:3: YAML syntax: .*duplicate/);
  });

  test('a file holds one YAML document', async () => {
    const errors = await loadErrors({ ...at, file: 'invalid/two-documents.yaml' });
    expect(errors).toEqual(['invalid/two-documents.yaml: holds 2 YAML documents; a configuration file holds one']);
  });
});

describe('docs/configuration.md', () => {
  test('its example file is a valid configuration and means what the page says', async () => {
    const page = await readFile(path.resolve(__dirname, '../../../docs/configuration.md'), 'utf8');
    const example = /## Example\s+```yaml\n([\s\S]*?)```/.exec(page)?.[1];
    expect(example).toBeDefined();
    const dir = await configDir();
    await writeFile(path.join(dir, 'telegate.yaml'), example ?? '');
    const config = await loadOk({ env: {}, cwd: dir, file: 'telegate.yaml' });
    expect(config.vendors).toEqual({ coder: { level: 1 }, automatisch: { level: 0 } });
    expect(config.admin).toEqual({ host: '10.0.4.12', port: 9090 });
    expect(config.audit.replica).toBe('gw-eu-1');
  });
});
