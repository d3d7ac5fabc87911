/**
 * The README's Automatisch recipe works as written: its commands are read out of README.md (the block
 * after the `recipe:automatisch-tls` marker), run by bash in an empty folder (openssl makes the CA and the
 * certificate, a configuration file is written, `telegate config validate` passes), and its last line
 * starts telegate. Then the unmodified RudderStack SDK 1.1.5 (Automatisch's pin), pointed at the
 * hard-coded https://telemetry.automatisch.io with the recipe's CA trusted through NODE_EXTRA_CA_CERTS,
 * delivers through telegate to a stand-in data plane, which receives the level-1 batch. A bundle that holds
 * another CA as well works as the README says; clients that do not trust the certificate fail, and telegate
 * logs that (once a minute) and counts it on /metrics.
 *
 * Only the environment differs from a deployment: free ports (but the TLS listener's, which the recipe
 * names), the stand-in as upstream, the checkout's
 * policies (the image's TELEGATE_POLICIES does the same), and a test hash key.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { load as loadYaml } from 'js-yaml';
import { verifyAuditDir } from '../../src/audit';
import type { JsonObject } from '../../src/json/types';
import { writeClientDnsPreload } from '../helpers/client-dns-preload';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { automatischTrackCalls, EXAMPLE_IDENTITY, runRudderClient } from '../helpers/rudder-capture';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';
import { createTestCa } from '../helpers/test-ca';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

const run = promisify(execFile);
const README = path.resolve(__dirname, '../../README.md');
const POLICIES = path.resolve(__dirname, '../../policies');
const BIN = path.resolve(__dirname, '../../bin/telegate.js');
const HOST = 'telemetry.automatisch.io';
const MARKER = '<!-- recipe:automatisch-tls';
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CALLS = automatischTrackCalls();

/** The recipe's shell lines, exactly as README.md holds them. */
async function recipeFromReadme(): Promise<string[]> {
  const lines = (await readFile(README, 'utf8')).split('\n');
  const at = lines.findIndex((l) => l.startsWith(MARKER));
  if (at < 0 || lines[at + 1] !== '```sh') throw new Error('README.md has no recipe:automatisch-tls block');
  const end = lines.indexOf('```', at + 2);
  return lines.slice(at + 2, end);
}

/** The port of the listener with `tls` in a configuration file (listen: a mapping or a list). */
function tlsPortOf(yaml: string): number {
  const listen = (loadYaml(yaml) as { listen?: unknown }).listen;
  const entries = (Array.isArray(listen) ? listen : [listen]) as { port?: number; tls?: unknown }[];
  const tls = entries.find((e) => e.tls !== undefined);
  if (tls?.port === undefined) throw new Error('the recipe\'s configuration has no TLS listener with a port');
  return tls.port;
}

let work: string;
let vendor: StandInVendor;
let gw: GatewayProcess;
let port: string;
let preload: string;
let setupOutput: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'telegate-recipe-'));
  const recipe = await recipeFromReadme();
  const last = recipe[recipe.length - 1];
  expect(last).toBe('telegate serve --config telegate.yaml');
  // `telegate` as installed: the checkout's bin, on PATH.
  const bin = path.join(work, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'telegate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await chmod(path.join(bin, 'telegate'), 0o755);
  const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, TMPDIR: process.env['TMPDIR'] ?? '/tmp', TELEGATE_POLICIES: POLICIES, TELEGATE_HASH_KEY: 'recipe-test-hash-key-0123456789' };
  const setup = await run('bash', ['-e', '-c', recipe.slice(0, -1).join('\n')], { cwd: work, env });
  setupOutput = setup.stdout;

  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK' } });
  const args = last!.split(' ').slice(2);
  gw = await spawnGateway({ ...env, TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url }, 15_000, { args, cwd: work });
  // The TLS listener's port, as the recipe's configuration names it (TELEGATE_PORT moved only the plain one).
  port = String(tlsPortOf(await readFile(path.join(work, 'telegate.yaml'), 'utf8')));
  preload = await writeClientDnsPreload(work, [HOST]);
});

afterAll(async () => {
  if (gw !== undefined && gw.child.exitCode === null) {
    gw.child.kill('SIGKILL');
    await gw.exited;
  }
  await vendor?.close();
  await rm(work, { recursive: true, force: true });
});

const sdk = (extraCa: string | undefined) => runRudderClient({
  version: 1, url: `https://${HOST}:${port}`, events: CALLS, nodeArgs: ['--require', preload],
  ...(extraCa === undefined ? {} : { env: { NODE_EXTRA_CA_CERTS: extraCa } }),
});

async function failures(): Promise<Record<string, number>> {
  const samples = parsePrometheusText(await (await fetch(`${gw.adminUrl}/metrics`)).text());
  const out: Record<string, number> = {};
  for (const s of samples.filter((x) => x.name === 'telegate_tls_handshake_failures_total')) out[s.labels['reason']!] = s.value;
  return out;
}

test('the recipe\'s commands ran: a CA, a certificate for the vendor\'s name for TLS servers, a configuration that validates', async () => {
  expect(setupOutput).toMatch(/^config validate: ok \(telegate\.yaml and the environment\)$/m);
  const { stdout } = await run('openssl', ['x509', '-in', path.join(work, 'tls', 'cert.pem'), '-noout', '-ext', 'subjectAltName,extendedKeyUsage']);
  expect(stdout).toContain(`DNS:${HOST}`);
  expect(stdout).toContain('TLS Web Server Authentication');
  const ca = await run('openssl', ['x509', '-in', path.join(work, 'tls', 'ca.pem'), '-noout', '-ext', 'basicConstraints']);
  expect(ca.stdout).toContain('CA:TRUE');
  await run('openssl', ['verify', '-CAfile', path.join(work, 'tls', 'ca.pem'), path.join(work, 'tls', 'cert.pem')]);
});

test('RudderStack SDK 1.1.5 trusting the recipe\'s CA delivers; the data plane receives the level-1 batch', async () => {
  const result = await sdk(path.join(work, 'tls', 'ca.pem'));
  expect(result).toMatchObject({ exitCode: 0, timedOut: false, results: CALLS.map((c) => ({ event: c.event, error: null })) });
  expect(vendor.received.length).toBeGreaterThan(0);
  const messages = vendor.received.flatMap((r) => {
    expect(`${r.method} ${r.url}`).toBe('POST /v1/batch');
    return (JSON.parse(r.body.toString('utf8')) as { batch: JsonObject[] }).batch;
  });
  expect(messages.map((m) => m['event']).sort()).toEqual(CALLS.map((c) => c.event).sort());
  for (const m of messages) {
    const props = m['properties'] as JsonObject;
    expect(String(props['instanceId'])).toMatch(UUID_V8);
    expect(props).not.toHaveProperty('name');
  }
  const all = vendor.received.map((r) => r.body.toString('utf8')).join('\n');
  expect(all).not.toContain(EXAMPLE_IDENTITY.instanceId);
  expect(all).not.toContain(EXAMPLE_IDENTITY.organizationId);
});

test('NODE_EXTRA_CA_CERTS takes one file: a bundle of another CA and the recipe\'s works; the other CA alone does not', async () => {
  const other = path.join(work, 'corp');
  await mkdir(other);
  const corp = await createTestCa(other, 'Corp root that was there before');
  const bundle = path.join(work, 'extra-ca.pem');
  await writeFile(bundle, Buffer.concat([await readFile(corp.certPath), await readFile(path.join(work, 'tls', 'ca.pem'))]));
  const before = vendor.received.length;
  expect(await sdk(bundle)).toMatchObject({ exitCode: 0, results: CALLS.map((c) => ({ event: c.event, error: null })) });
  expect(vendor.received.length).toBeGreaterThan(before);
  const replaced = await sdk(corp.certPath);
  expect(replaced.exitCode).not.toBe(0);
  for (const r of replaced.results ?? []) expect(r.error).toMatch(/certificate/i);
});

test('clients that do not trust the certificate fail their handshake: counted by reason, logged once a minute, no secret in the log', async () => {
  const before = await failures();
  const received = vendor.received.length;
  const nodeClient = await sdk(undefined);
  expect(nodeClient.exitCode).not.toBe(0);
  // An OpenSSL client that verifies and gives up sends an alert ("unknown ca") instead of just closing.
  await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', HOST, '-verify_return_error', '-CAfile', path.join(work, 'corp', 'ca.pem')], { timeout: 10_000 })
    .catch((error: unknown) => error);
  const after = await failures();
  expect(vendor.received.length).toBe(received);
  expect((after['closed-during-handshake'] ?? 0) - (before['closed-during-handshake'] ?? 0)).toBeGreaterThanOrEqual(1);
  expect((after['certificate-refused'] ?? 0) - (before['certificate-refused'] ?? 0)).toBeGreaterThanOrEqual(1);
  // Every failure of this run counted, however many: and one log line for all of them within the minute.
  const total = Object.values(after).reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThanOrEqual(3);
  const lines = gw.output().split('\n').filter((l) => l.includes('TLS handshake failed'));
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(line).toMatchObject({ client: expect.stringMatching(/127\.0\.0\.1/) as unknown, servername: HOST });
  const key = await readFile(path.join(work, 'tls', 'key.pem'), 'utf8');
  const keyBody = key.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  expect(gw.output()).not.toContain(keyBody.slice(0, 40));
});

test('SIGTERM: telegate stops cleanly and its audit log verifies', async () => {
  gw.child.kill('SIGTERM');
  expect(await gw.exited).toBe(0);
  const report = await verifyAuditDir(path.join(work, 'audit'));
  expect(report.ok).toBe(true);
});
