/**
 * `telegate config validate` refuses exactly what `telegate serve` refuses at start (SPEC §4, §7): the same
 * bad configuration makes validate exit 1 (SPEC §7) and serve exit 2, with a message naming the key, whether the fault is in the file's
 * shape or in what it points at (TLS files that do not load, a checkpoint key that is not Ed25519, an
 * audit folder or data folder where a file is, a hash key file that cannot be a key). Both commands run as
 * a user runs them, in child processes, over the same files.
 *
 * And a start that fails once the audit chain is open closes it: the chain's lock is released (a gateway
 * started again in the same process, or another, takes the chain at once) and the failure names the key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { verifyAuditDir } from '../../src/audit';
import { nodeFileOps } from '../../src/audit/file-ops';
import { loadConfig } from '../../src/config';
import { StartError, startGateway } from '../../src/gateway/start';
import { generateSigningKey } from '../../src/audit/tlog/signing-key';
import { readAuditRecords } from '../helpers/audit-records';
import { runCli } from '../helpers/cli-process';
import { POLICIES, TEST_HASH_KEY } from '../helpers/gateway-harness';
import { selfSignedCertificate } from '../helpers/self-signed';

jest.setTimeout(120_000);

let dir: string;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-agree-'));
  const write = async (name: string, content: string | Buffer, mode = 0o600): Promise<void> => {
    files[name] = path.join(dir, name);
    await writeFile(files[name], content, { mode });
  };
  const one = selfSignedCertificate('telemetry.example');
  const other = selfSignedCertificate('telemetry.example');
  await write('cert.pem', one.cert);
  await write('key.pem', one.key);
  await write('other-key.pem', other.key);
  await write('garbage.pem', '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
  await write('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await write('ed25519.pem', generateSigningKey().pem);
  await write('short.key', 'abc\n');
  await write('a-file', 'a regular file where a folder is expected\n');
  files['a-folder'] = path.join(dir, 'a-folder');
  await mkdir(files['a-folder'], { mode: 0o700 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const f = (name: string): string => files[name]!;

interface Case {
  /** The key the messages must name. */
  key: string;
  yaml: () => string;
  /** No TELEGATE_HASH_KEY: the hash key comes from the file, or is generated into data_dir. */
  noHashKey?: boolean;
}

const listen = (tls: string): string => `listen: { host: 127.0.0.1, port: 0, tls: { ${tls} } }\n`;
const audit = (more = ''): string => `audit: { dir: ${JSON.stringify(path.join(dir, 'audit'))}${more} }\n`;

const CASES: Record<string, Case> = {
  'a TLS certificate that is not PEM': { key: 'listen.tls.cert', yaml: () => listen(`cert: ${f('garbage.pem')}, key: ${f('key.pem')}`) + audit() },
  'a TLS key that is another certificate\'s': { key: 'listen.tls.key', yaml: () => listen(`cert: ${f('cert.pem')}, key: ${f('other-key.pem')}`) + audit() },
  'a TLS key that is not a key': { key: 'listen.tls.key', yaml: () => listen(`cert: ${f('cert.pem')}, key: ${f('cert.pem')}`) + audit() },
  'the second listener\'s certificate': {
    key: 'listen.1.tls.cert',
    yaml: () => `listen:\n  - { host: 127.0.0.1, port: 0 }\n  - { host: 127.0.0.1, port: 0, tls: { cert: ${f('garbage.pem')}, key: ${f('key.pem')} } }\n${audit()}`,
  },
  'an RSA checkpoint key': { key: 'audit.checkpoint.key_file', yaml: () => `listen: { host: 127.0.0.1, port: 0 }\n${audit(`, checkpoint: { key_file: ${f('rsa.pem')} }`)}` },
  'a checkpoint key that is not PEM': { key: 'audit.checkpoint.key_file', yaml: () => `listen: { host: 127.0.0.1, port: 0 }\n${audit(`, checkpoint: { key_file: ${f('short.key')} }`)}` },
  'audit.dir under a regular file': { key: 'audit.dir', yaml: () => `listen: { host: 127.0.0.1, port: 0 }\naudit: { dir: ${path.join(f('a-file'), 'audit')} }\n` },
  'audit.dir that is a regular file': { key: 'audit.dir', yaml: () => `listen: { host: 127.0.0.1, port: 0 }\naudit: { dir: ${f('a-file')} }\n` },
  'hash.key_file that is a folder': { key: 'hash.key_file', noHashKey: true, yaml: () => `listen: { host: 127.0.0.1, port: 0 }\n${audit()}hash: { key_file: ${f('a-folder')} }\n` },
  'hash.key_file holding a short key': { key: 'hash.key_file', noHashKey: true, yaml: () => `listen: { host: 127.0.0.1, port: 0 }\n${audit()}hash: { key_file: ${f('short.key')} }\n` },
  'data_dir under a regular file, no hash key yet': { key: 'data_dir', noHashKey: true, yaml: () => `listen: { host: 127.0.0.1, port: 0 }\n${audit()}data_dir: ${path.join(f('a-file'), 'data')}\n` },
};

describe.each(Object.entries(CASES))('%s', (name, c) => {
  test(`config validate exits 1 and serve 2, both naming ${c.key}`, async () => {
    const config = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    const yaml = c.yaml();
    await writeFile(config, `admin: { host: 127.0.0.1, port: 0 }\n${yaml.includes('data_dir:') ? '' : `data_dir: ${path.join(dir, 'data')}\n`}${yaml}`);
    const env: Record<string, string> = { TELEGATE_POLICIES: POLICIES, TELEGATE_LOG_LEVEL: 'warn', ...(c.noHashKey ? {} : { TELEGATE_HASH_KEY: TEST_HASH_KEY }) };
    const [validate, serve] = await Promise.all([
      runCli(['config', 'validate', '--config', config], { env, cwd: dir }),
      runCli(['serve', '--config', config], { env, cwd: dir, timeoutMs: 30_000 }),
    ]);
    expect({ validate: validate.code, serve: serve.code }).toEqual({ validate: 1, serve: 2 });
    expect(validate.stdout).toContain(c.key);
    expect(serve.stderr).toContain(c.key);
    // A refusal, not a crash.
    for (const out of [validate.stdout, validate.stderr, serve.stderr]) expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });
});

test('the good counterpart of those files validates (the table fails for its fault, not for its set-up)', async () => {
  const config = path.join(dir, 'good.yaml');
  await writeFile(config, `admin: { host: 127.0.0.1, port: 0 }\ndata_dir: ${path.join(dir, 'data')}\n${listen(`cert: ${f('cert.pem')}, key: ${f('key.pem')}`)}${audit(`, checkpoint: { key_file: ${f('ed25519.pem')} }`)}`);
  const validate = await runCli(['config', 'validate', '--config', config], { env: { TELEGATE_POLICIES: POLICIES, TELEGATE_HASH_KEY: TEST_HASH_KEY }, cwd: dir });
  expect(validate.stderr).not.toContain('problem');
  expect(validate.code).toBe(0);
});

test('a start that fails once the chain is open (its first policy record cannot be made durable) closes it: lock released, the key named', async () => {
  const folder = await mkdtemp(path.join(tmpdir(), 'telegate-agree-start-'));
  try {
    const env = {
      TELEGATE_PORT: '0', TELEGATE_ADMIN_PORT: '0', TELEGATE_POLICIES: POLICIES, TELEGATE_HASH_KEY: TEST_HASH_KEY,
      TELEGATE_AUDIT_DIR: path.join(folder, 'audit'), TELEGATE_DATA_DIR: path.join(folder, 'data'),
    };
    const loaded = await loadConfig({ env });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    const config = { ...loaded.value, listen: [{ host: '127.0.0.1', port: 0 }] };
    // The second sync (the policy record's, after the start record's) fails once.
    let syncs = 0;
    const fileOps = {
      ...nodeFileOps,
      fdatasync: async (fd: number) => {
        if (++syncs === 2) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        return nodeFileOps.fdatasync(fd);
      },
    };
    const logger = pino({ level: 'silent' });
    const failed = await startGateway(config, { logger, env, auditSeams: { fileOps } }).then(() => undefined, (error: unknown) => error);
    expect(failed).toBeInstanceOf(StartError);
    expect((failed as StartError).errors.join('\n')).toContain(`audit.dir ${path.join(folder, 'audit')}: `);

    // In this very process: SQLite refuses a second connection to a lock a first one still holds.
    const next = await startGateway(config, { logger, env });
    await next.close(1_000);
    const types = (await readAuditRecords(path.join(folder, 'audit'))).map((r) => String(r.record['type']));
    expect(types.slice(-3)).toEqual(['start', 'policy', 'stop']);
    expect((await verifyAuditDir(path.join(folder, 'audit'))).ok).toBe(true);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
