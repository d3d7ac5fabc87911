/**
 * Every command reads its defaults from the configuration `serve` reads (SPEC §7): `--config FILE`, the
 * TELEGATE_* environment, the built-in defaults; an explicit path wins. And `telegate config validate`
 * finds everything `serve` would refuse, in one run. Spawned processes in a working directory of their
 * own, real files, real audit logs written by the writer.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAuditWriter } from '../../src/audit';
import { runCli } from '../helpers/cli-process';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

const SHIPPED = path.resolve(__dirname, '../../policies');
const ACME = path.resolve(__dirname, '../fixtures/cli/policies');

let dir: string;
let policies: string;
let audit: string;

async function writeLog(folder: string, ids: readonly string[]): Promise<void> {
  const writer = await openAuditWriter({ dir: folder, maxFileBytes: 1 << 20, fsync: false });
  for (const id of ids) {
    await writer.appendEgress({
      id, vendor: 'coder', endpoint: '/snapshot', level: 1, policy: 'sha256:00', decision: 'forwarded', client: '127.0.0.1',
      upstream: 'https://telemetry.coder.com/snapshot', bodyText: '{"users":[]}', dropped: {}, hashed: {}, unknown: { hostname: 1 },
    });
  }
  await writer.close();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-clicfg-'));
  policies = path.join(dir, 'team-policies');
  await cp(ACME, policies, { recursive: true });
  audit = path.join(dir, 'team-audit');
  await writeLog(audit, ['from-configured-log']);
  await writeLog(path.join(dir, 'other-log'), ['from-explicit-log']);
  await writeFile(path.join(dir, 'telegate.yaml'), `policies: ${policies}\naudit: { dir: ${audit} }\n`);
});

afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('--config and the environment give every command its folders', () => {
  test('policy check, report and test read the configured policies folder (file, then TELEGATE_POLICIES)', async () => {
    const ways: { args: string[]; env: Record<string, string> }[] = [{ args: ['--config', 'telegate.yaml'], env: {} }, { args: [], env: { TELEGATE_POLICIES: policies } }];
    for (const how of ways) {
      const check = await runCli(['policy', 'check', ...how.args], { cwd: dir, env: how.env });
      expect(check.code).toBe(0);
      expect(check.stdout).toContain(`acme sha256:`);
      expect(check.stdout).toContain(path.join(policies, 'acme.yaml'));
      const report = await runCli(['policy', 'report', ...how.args], { cwd: dir, env: how.env });
      expect(report.code).toBe(0);
      expect(report.stdout).toContain('users[*].email');
      const test = await runCli(['policy', 'test', ...how.args], { cwd: dir, env: how.env });
      expect(test.code).toBe(0);
      expect(test.stdout).toBe('3 passed, 0 failed\n');
    }
  });

  test('without any configuration, ./policies of the working directory, as before', async () => {
    const r = await runCli(['policy', 'check'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${path.join(dir, 'policies')}:1:1: cannot read the policy: no such file or folder`);
  });

  test('an explicit path wins over the configuration', async () => {
    const r = await runCli(['policy', 'check', SHIPPED], { cwd: dir, env: { TELEGATE_POLICIES: policies } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/coder sha256:/);
    expect(r.stdout).not.toContain('acme');
  });

  test('audit verify, search, show, drift and stats read the configured audit.dir', async () => {
    const ways: { args: string[]; env: Record<string, string> }[] = [{ args: ['--config', 'telegate.yaml'], env: {} }, { args: [], env: { TELEGATE_AUDIT_DIR: audit } }];
    for (const how of ways) {
      const verify = await runCli(['audit', 'verify', ...how.args], { cwd: dir, env: how.env });
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain(`ok: ${audit}:`);
      const search = await runCli(['audit', 'search', '--format', 'json', ...how.args], { cwd: dir, env: how.env });
      expect(search.code).toBe(0);
      expect(search.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['from-configured-log']);
      const show = await runCli(['audit', 'show', 'from-configured-log', ...how.args], { cwd: dir, env: how.env });
      expect(show.code).toBe(0);
      const drift = await runCli(['audit', 'drift', ...how.args], { cwd: dir, env: how.env });
      expect(drift.stdout).toMatch(/coder +\/snapshot +- +hostname +unknown +1 +1/);
      const stats = await runCli(['audit', 'stats', ...how.args], { cwd: dir, env: how.env });
      expect(stats.stdout).toMatch(/^coder +1 +forwarded +1 /m);
    }
  });

  test('an audit folder given on the command line wins', async () => {
    const r = await runCli(['audit', 'search', '--format', 'json', '--config', 'telegate.yaml', path.join(dir, 'other-log')], { cwd: dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }).id).toBe('from-explicit-log');
  });

  test('a --config that does not exist is bad usage, exit 2, whatever else is given', async () => {
    for (const args of [['policy', 'check', SHIPPED], ['audit', 'verify', audit], ['policy', 'test']]) {
      const r = await runCli([...args, '--config', 'nowhere.yaml'], { cwd: dir });
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toContain('nowhere.yaml: cannot read the configuration file: no such file');
    }
  });

  test('policy explain takes the hash key file from the configuration: the same pseudonyms as that key gives', async () => {
    const keyFile = path.join(dir, 'hash.key');
    await writeFile(keyFile, 'configured-key-0123456789abcdef\n', { mode: 0o600 });
    await writeFile(path.join(dir, 'keyed.yaml'), `policies: ${policies}\nhash: { key_file: ${keyFile} }\n`);
    const args = ['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '1', '--format', 'json', path.join(ACME, 'tests', 'acme-report.input.json')];
    const viaFile = await runCli([...args, '--config', 'keyed.yaml'], { cwd: dir });
    // The key file's text without its final newline is the key (docs/policy-language.md).
    const viaEnv = await runCli(args, { cwd: dir, env: { TELEGATE_POLICIES: policies, TELEGATE_HASH_KEY: 'configured-key-0123456789abcdef' } });
    expect(viaFile.code).toBe(0);
    expect(viaFile.stderr).toBe('');
    expect(viaFile.stdout).toBe(viaEnv.stdout);
  });
});

describe('telegate config validate', () => {
  test('a good configuration: exit 0 and what serve would run with', async () => {
    const r = await runCli(['config', 'validate', '--config', 'telegate.yaml'], { cwd: dir, env: { TELEGATE_HASH_KEY: 'validate-test-key-0123456789' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^config validate: ok \(telegate\.yaml and the environment\)$/m);
    expect(r.stdout).toMatch(new RegExp(`^  policies  ${policies.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: acme level 1 sha256:[0-9a-f]{64}$`, 'm'));
    expect(r.stdout).toMatch(/^  hash key  TELEGATE_HASH_KEY$/m);
  });

  test('schema errors, a misspelt vendor and a broken policy come in one run, exit 1; serve says the same, exit 2', async () => {
    const broken = path.join(dir, 'broken-policies');
    await cp(ACME, broken, { recursive: true });
    const file = path.join(broken, 'acme.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('users[*].email:      { 1: drop, 2: allow', 'users[*].email:      { 1: erase, 2: allow'));
    const line = text.split('\n').findIndex((l) => l.includes('users[*].email:')) + 1;
    await writeFile(path.join(dir, 'bad.yaml'), [
      'listen: { host: 127.0.0.1, prot: 8080 }',
      'log: { level: loud }',
      `policies: ${broken}`,
      'vendors:',
      '  acmee: { level: 2 }',
      `audit: { dir: ${path.join(dir, 'bad-audit')} }`,
      '',
    ].join('\n'));
    const env = { TELEGATE_HASH_KEY: 'validate-test-key-0123456789', TELEGATE_PORT: 'eighty' };
    const r = await runCli(['config', 'validate', '--config', 'bad.yaml'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const ruleLine = text.split('\n')[line - 1]!.replace('{ 1: drop', '{ 1: erase');
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'TELEGATE_PORT: must be a port number, 0 to 65535',
      'bad.yaml: listen.prot: unknown key (allowed: host, port, tls)',
      'bad.yaml: log.level: must be fatal, error, warn, info, debug, trace or silent',
      `${file}:${line}:${ruleLine.indexOf('erase') + 1}: endpoint "/report" field "users[*].email" level 1: unknown action "erase" (expected allow, hash or drop)`,
      `bad.yaml: vendors.acmee: no policy for this vendor in ${broken} (it has: acme); did you mean acme?`,
    ]);
    expect(r.stderr).toContain('config validate: 5 problems; telegate serve would refuse to start');

    const serve = await runCli(['serve', '--config', 'bad.yaml'], { cwd: dir, env });
    expect(serve.code).toBe(2);
    for (const l of r.stdout.trimEnd().split('\n')) expect(serve.stderr).toContain(`  ${l}\n`);
  });

  test('a short admin token is refused by validate and by serve, without showing it', async () => {
    await writeFile(path.join(dir, 'token.yaml'), `policies: ${policies}\nadmin: { token: abc12 }\n`);
    const r = await runCli(['config', 'validate', '--config', 'token.yaml'], { cwd: dir, env: { TELEGATE_HASH_KEY: 'validate-test-key-0123456789' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('token.yaml: admin.token: is 5 characters long; an admin token must have at least 16 (e.g. openssl rand -hex 32)\n');
    const env = await runCli(['serve'], { cwd: dir, env: { TELEGATE_POLICIES: policies, TELEGATE_ADMIN_TOKEN: 'short-token', TELEGATE_HASH_KEY: 'validate-test-key-0123456789' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('TELEGATE_ADMIN_TOKEN: is 11 characters long; an admin token must have at least 16');
    expect(env.stderr).not.toContain('short-token');
  });

  test('read-only: no key generated, no folder created; both said as notes', async () => {
    const empty = path.join(dir, 'fresh');
    await mkdir(empty);
    const r = await runCli(['config', 'validate'], { cwd: empty, env: { TELEGATE_POLICIES: policies } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`serve would generate one into ${path.join(empty, 'data', 'hash.key')}`);
    expect(r.stderr).toContain(`the audit folder ${path.join(empty, 'audit')} does not exist yet`);
    await expect(readFile(path.join(empty, 'data', 'hash.key'))).rejects.toThrow();
  });

  test('bad usage is exit 2', async () => {
    const r = await runCli(['config', 'validate', '--strict'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--strict'");
  });
});
