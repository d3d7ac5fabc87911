/**
 * `telegate serve` as a platform team runs it (SPEC §4, §5, §7): a bad configuration or policy folder stops
 * the start with exit 2 and a message saying what to fix; a running gateway reloads on SIGHUP and, on
 * SIGTERM, finishes, closes its audit log with a `stop` record and exits 0. Signals come from an
 * injected emitter, so the test process's own signal handling is untouched.
 */
import { EventEmitter } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runServe, type ServeSignals } from '../../src/cli/serve';
import type { CliIO } from '../../src/cli/io';
import { readAuditRecords } from '../helpers/audit-records';
import { POLICIES, TEST_HASH_KEY } from '../helpers/gateway-harness';
import { freePort } from '../helpers/gateway-process';
import { eventually, httpCall } from '../helpers/http-call';

interface Captured { io: CliIO; stderr: () => string; stdout: () => string }

function captureIO(): Captured {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, stdin: new PassThrough() },
    stdout: () => out,
    stderr: () => err,
  };
}

class Signals extends EventEmitter implements ServeSignals {
  override on(signal: NodeJS.Signals, handler: () => void): this { return super.on(signal, handler); }
  override off(signal: NodeJS.Signals, handler: () => void): this { return super.off(signal, handler); }
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'telegate-serve-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** Absolute paths throughout: the file's relative paths would resolve against the test's cwd. */
function configText(lines: string[]): string {
  return [
    `data_dir: ${JSON.stringify(path.join(dir, 'data'))}`,
    `audit: { dir: ${JSON.stringify(path.join(dir, 'audit'))} }`,
    'log: { level: silent }',
    ...lines,
  ].join('\n');
}

async function writeConfig(lines: string[]): Promise<string> {
  const file = path.join(dir, 'telegate.yaml');
  await writeFile(file, configText(lines));
  return file;
}

const env = (): NodeJS.ProcessEnv => ({ TELEGATE_HASH_KEY: TEST_HASH_KEY });

describe('telegate serve refuses to start, exit 2', () => {
  test('a configuration file with an unknown key: stderr names the key', async () => {
    const config = await writeConfig([`policies: ${JSON.stringify(POLICIES)}`, 'listen: { host: 127.0.0.1, prot: 8080 }']);
    const cli = captureIO();
    expect(await runServe({ config }, cli.io, env(), new Signals())).toBe(2);
    expect(cli.stderr()).toContain('listen.prot');
  });

  test('a broken policy folder: stderr points at file:line:col', async () => {
    const policies = path.join(dir, 'policies');
    await cp(POLICIES, policies, { recursive: true });
    const lines = (await readFile(path.join(policies, 'coder.yaml'), 'utf8')).split('\n');
    const broken = lines.findIndex((l) => l.trimStart().startsWith('users[*].id:'));
    expect(broken).toBeGreaterThan(0);
    lines[broken] = lines[broken]!.replace('1: hash', '1: hahs');
    await writeFile(path.join(policies, 'coder.yaml'), lines.join('\n'));

    const config = await writeConfig([`policies: ${JSON.stringify(policies)}`, 'listen: { host: 127.0.0.1, port: 0 }', 'admin: { port: 0 }']);
    const cli = captureIO();
    expect(await runServe({ config }, cli.io, env(), new Signals())).toBe(2);
    expect(cli.stderr()).toMatch(new RegExp(`coder\\.yaml:${broken + 1}:\\d+: `));
  });

  test('a vendor configured without a policy: stderr names the vendor', async () => {
    const config = await writeConfig([
      `policies: ${JSON.stringify(POLICIES)}`, 'listen: { host: 127.0.0.1, port: 0 }', 'admin: { port: 0 }',
      'vendors: { gitlab: { level: 1 } }',
    ]);
    const cli = captureIO();
    expect(await runServe({ config }, cli.io, env(), new Signals())).toBe(2);
    expect(cli.stderr()).toContain('vendors.gitlab');
  });
});

describe('telegate serve running', () => {
  test('answers /healthz, reloads on SIGHUP, and on SIGTERM exits 0 with `stop` as the last audit record', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const config = await writeConfig([
      `policies: ${JSON.stringify(POLICIES)}`,
      `listen: { host: 127.0.0.1, port: ${port} }`,
      `admin: { host: 127.0.0.1, port: ${adminPort} }`,
    ]);
    const signals = new Signals();
    const cli = captureIO();
    const running = runServe({ config }, cli.io, env(), signals);
    const auditDir = path.join(dir, 'audit');

    const health = await eventually('/healthz answering', async () =>
      httpCall(`http://127.0.0.1:${adminPort}/healthz`).catch(() => undefined));
    expect(health.status).toBe(200);

    signals.emit('SIGHUP');
    // The log is read while the gateway writes it: a line caught half-written is read again on the next poll.
    await eventually('a policy record written for the SIGHUP reload', async () =>
      (await readAuditRecords(auditDir).catch(() => [])).some((r) => r.record['type'] === 'policy' && r.record['reload'] === true) || undefined);

    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    expect(cli.stderr()).toBe('');
    const records = await readAuditRecords(auditDir);
    expect(records.at(-1)?.record['type']).toBe('stop');
    await expect(httpCall(`http://127.0.0.1:${port}/snapshot`, { method: 'POST', body: '{}' })).rejects.toThrow();
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT') + signals.listenerCount('SIGHUP')).toBe(0);
  });
});
