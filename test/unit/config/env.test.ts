/** Environment overrides (SPEC §4): each one beats the file; a bad value stops the start naming the variable. */
import path from 'node:path';
import { FIXTURES, loadErrors, loadOk } from './load-fixture';

const full = { cwd: FIXTURES, file: 'valid/full.yaml' };

describe('each variable overrides the file', () => {
  test('TELEGATE_PORT and TELEGATE_ADMIN_PORT', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_PORT: '18081', TELEGATE_ADMIN_PORT: '19091' } });
    expect(config.listen).toMatchObject([{ host: '10.1.2.3', port: 18081 }]);
    expect(config.admin).toMatchObject({ host: '0.0.0.0', port: 19091 });
  });

  test('port 0 (any free port) is accepted', async () => {
    const config = await loadOk({ cwd: FIXTURES, env: { TELEGATE_PORT: '0', TELEGATE_ADMIN_PORT: '0' } });
    expect([config.listen[0]!.port, config.admin.port]).toEqual([0, 0]);
  });

  test('TELEGATE_ADMIN_TOKEN', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_ADMIN_TOKEN: 'env-token-b41c-9d2e7a' } });
    expect(config.admin.token).toBe('env-token-b41c-9d2e7a');
  });

  test('TELEGATE_AUDIT_DIR, TELEGATE_POLICIES and TELEGATE_DATA_DIR, relative ones resolved against cwd', async () => {
    const config = await loadOk({
      ...full, env: { TELEGATE_AUDIT_DIR: 'run/audit', TELEGATE_POLICIES: '/opt/policies', TELEGATE_DATA_DIR: './state' },
    });
    expect(config.audit.dir).toBe(path.join(FIXTURES, 'run/audit'));
    expect(config.policies).toBe('/opt/policies');
    expect(config.data_dir).toBe(path.join(FIXTURES, 'state'));
    // The rest of the audit mapping is still the file's.
    expect(config.audit).toMatchObject({ replica: 'eu-west_1', max_file_bytes: 1048576, fsync: false });
  });

  test('TELEGATE_AUDIT_REPLICA names the chain, so one file (a ConfigMap) serves every replica', async () => {
    // A Kubernetes pod name, as the downward API gives it.
    const config = await loadOk({ ...full, env: { TELEGATE_AUDIT_REPLICA: 'telegate-7d9f8b6c5-x2k4p' } });
    expect(config.audit).toMatchObject({ replica: 'telegate-7d9f8b6c5-x2k4p', max_file_bytes: 1048576, fsync: false });
  });

  test('TELEGATE_CHECKPOINT_KEY_FILE names the checkpoint signing key (a mounted secret), relative to cwd; the rest stays the file\'s', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_CHECKPOINT_KEY_FILE: 'checkpoint/signing-key.pem' } });
    expect(config.audit.checkpoint).toEqual({
      origin: 'audit.corp.example/telegate', interval_s: 15, witness_url: 'https://witness.corp.example/add', key_file: path.join(FIXTURES, 'checkpoint/signing-key.pem'),
    });
    expect(await loadErrors({ ...full, env: { TELEGATE_CHECKPOINT_KEY_FILE: '' } })).toEqual(['TELEGATE_CHECKPOINT_KEY_FILE: is set but empty']);
    expect(await loadErrors({ cwd: FIXTURES, env: { TELEGATE_CHECKPOINT_KEY_FILE: '/no/such/key.pem' } }))
      .toEqual(['audit.checkpoint.key_file: cannot read /no/such/key.pem: no such file']);
  });

  test('TELEGATE_WORKERS beats the file', async () => {
    expect((await loadOk({ ...full, env: { TELEGATE_WORKERS: '2' } })).workers).toBe(2);
  });

  test('a replica name too long to carry a worker suffix is refused when there are several workers', async () => {
    const replica = 'r'.repeat(62);
    expect((await loadOk({ ...full, env: { TELEGATE_AUDIT_REPLICA: replica, TELEGATE_WORKERS: '1' } })).audit.replica).toBe(replica);
    const errors = await loadErrors({ ...full, env: { TELEGATE_AUDIT_REPLICA: replica, TELEGATE_WORKERS: '2' } });
    expect(errors).toEqual([expect.stringMatching(/^audit\.replica: with 2 workers the chains are named r{62}-w2 and alike, longer than 64 characters/)]);
  });

  test('TELEGATE_LOG_LEVEL', async () => {
    expect((await loadOk({ ...full, env: { TELEGATE_LOG_LEVEL: 'warn' } })).log.level).toBe('warn');
  });

  test('TELEGATE_CONFIG is not kept in the configuration, nor is TELEGATE_HASH_KEY', async () => {
    const config = await loadOk({ cwd: FIXTURES, env: { TELEGATE_CONFIG: 'valid/partial.yaml', TELEGATE_HASH_KEY: 'k-93d0a1f7' } });
    const text = JSON.stringify(config);
    expect(text).not.toContain('k-93d0a1f7');
    expect(text).not.toContain('partial.yaml');
  });
});

describe('levels', () => {
  test('TELEGATE_LEVEL sets every vendor: those the file names and, through defaultLevel, all others', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_LEVEL: '0' } });
    expect(config.defaultLevel).toBe(0);
    expect(config.vendors).toEqual({
      coder: { level: 0, upstream: 'https://telemetry-proxy.corp.example/coder' },
      automatisch: { level: 0 },
      'my-vendor': { level: 0, upstream: 'http://10.0.0.9:8080' },
    });
  });

  test('TELEGATE_LEVEL_<VENDOR> beats the file and TELEGATE_LEVEL for that vendor only', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_LEVEL: '0', TELEGATE_LEVEL_CODER: '1' } });
    expect(config.vendors['coder']).toEqual({ level: 1, upstream: 'https://telemetry-proxy.corp.example/coder' });
    expect(config.vendors['automatisch']).toEqual({ level: 0 });
    expect(config.defaultLevel).toBe(0);
  });

  test('TELEGATE_LEVEL_<VENDOR> for a vendor the file does not name adds it', async () => {
    const config = await loadOk({ cwd: FIXTURES, env: { TELEGATE_LEVEL_AUTOMATISCH: '2' } });
    expect(config.vendors).toEqual({ automatisch: { level: 2 } });
    expect(config.defaultLevel).toBe(1);
  });

  test('"_" in the variable stands for "-" in the vendor name', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_LEVEL_MY_VENDOR: '2' } });
    expect(config.vendors['my-vendor']).toEqual({ level: 2, upstream: 'http://10.0.0.9:8080' });
  });
});

describe('upstreams', () => {
  test('TELEGATE_UPSTREAM_<VENDOR> beats the file\'s upstream and keeps its level', async () => {
    const config = await loadOk({ ...full, env: { TELEGATE_UPSTREAM_CODER: 'http://127.0.0.1:4000' } });
    expect(config.vendors['coder']).toEqual({ level: 2, upstream: 'http://127.0.0.1:4000' });
  });

  test('for a vendor the file does not name, it runs at the default level', async () => {
    const config = await loadOk({ cwd: FIXTURES, env: { TELEGATE_LEVEL: '2', TELEGATE_UPSTREAM_AUTOMATISCH: 'https://a.example/x' } });
    expect(config.vendors).toEqual({ automatisch: { level: 2, upstream: 'https://a.example/x' } });
  });
});

describe('a bad value is an error naming the variable', () => {
  test.each([
    ['TELEGATE_PORT', 'abc'],
    ['TELEGATE_PORT', '65536'],
    ['TELEGATE_PORT', '-1'],
    ['TELEGATE_PORT', '80.5'],
    ['TELEGATE_PORT', ' 80'],
    ['TELEGATE_ADMIN_PORT', '0x50'],
    ['TELEGATE_LEVEL', '3'],
    ['TELEGATE_LEVEL', 'off'],
    ['TELEGATE_LEVEL', '1.0'],
    ['TELEGATE_LEVEL_CODER', '-1'],
    ['TELEGATE_LOG_LEVEL', 'verbose'],
    ['TELEGATE_UPSTREAM_CODER', 'telemetry.coder.com'],
    ['TELEGATE_UPSTREAM_CODER', 'ftp://telemetry.coder.com'],
    ['TELEGATE_UPSTREAM_CODER', 'https://telemetry.coder.com/?key=1'],
    ['TELEGATE_POLICIES', ''],
    ['TELEGATE_LEVEL', ''],
    ['TELEGATE_CONFIG', ''],
    // Replica ids go into audit file names: no dots, no path characters.
    ['TELEGATE_AUDIT_REPLICA', 'gw.1'],
    ['TELEGATE_AUDIT_REPLICA', '../gw'],
    ['TELEGATE_AUDIT_REPLICA', '-gw'],
    ['TELEGATE_AUDIT_REPLICA', 'x'.repeat(65)],
    ['TELEGATE_WORKERS', '0'],
    ['TELEGATE_WORKERS', '65'],
    ['TELEGATE_WORKERS', '2.0'],
    ['TELEGATE_WORKERS', 'auto'],
  ])('%s=%j', async (name, value) => {
    const errors = await loadErrors({ cwd: FIXTURES, env: { [name]: value } });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.startsWith(`${name}: `)).toBe(true);
  });

  test('a vendor part that is not upper case names the variable and shows the expected form', async () => {
    expect(await loadErrors({ cwd: FIXTURES, env: { TELEGATE_LEVEL_coder: '1' } }))
      .toEqual(['TELEGATE_LEVEL_coder: write the vendor name in upper case with "_" for "-", e.g. TELEGATE_LEVEL_CODER']);
  });

  test('every bad variable is reported, and file errors with them', async () => {
    const errors = await loadErrors({ cwd: FIXTURES, file: 'invalid/bad-level.yaml', env: { TELEGATE_PORT: 'abc', TELEGATE_LEVEL: '3' } });
    expect(errors.map((e) => e.split(':')[0])).toEqual(['TELEGATE_PORT', 'TELEGATE_LEVEL', 'invalid/bad-level.yaml']);
  });

  test('the upstream URL is not repeated in its error: it may hold credentials', async () => {
    const errors = await loadErrors({ cwd: FIXTURES, env: { TELEGATE_UPSTREAM_CODER: 'https://alice:pw-77e1@telemetry.coder.com' } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^TELEGATE_UPSTREAM_CODER: must not hold credentials/);
    expect(errors[0]).not.toContain('pw-77e1');
  });
});
