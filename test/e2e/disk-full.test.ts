/**
 * The audit disk fills up under load, simulated without root: telegate runs with a file-size limit
 * (`prlimit --fsize`), so the write that would pass it fails with EFBIG, as a write to a full disk fails
 * with ENOSPC (Node ignores SIGXFSZ, so the process is not killed by the limit). From that moment
 * telegate must answer 503 audit-unavailable and forward nothing: every body the vendor received has its
 * egress record, byte for byte; the log cut back what the failed write left and still verifies; the
 * process stays up (health 200, readiness 503) and still stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { freePort } from '../helpers/gateway-process';
import { eventually, httpCall, jsonOf, type HttpReply } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BIN = path.resolve(__dirname, '../../bin/telegate.js');
const LIMIT_BYTES = 96 * 1024;

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function snapshot(): string {
  const id = randomUUID();
  return JSON.stringify({
    deployment_id: id,
    users: Array.from({ length: 10 }, (_, i) => ({ id: randomUUID(), email: `user${i}@example.com`, status: 'active', login_type: 'oidc', created_at: '2025-05-01T10:00:00Z' })),
  });
}

const post = (url: string): Promise<HttpReply> =>
  httpCall(`${url}/snapshot`, { method: 'POST', body: snapshot(), headers: { 'x-coder-version': 'v2.24.1' } }).catch(() => ({ status: 0, headers: {}, body: '' }));

describe('the audit disk fills up under load', () => {
  let dir: string;
  let vendor: StandInVendor;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'telegate-disk-full-'));
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  });
  afterEach(async () => {
    await vendor.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('503 audit-unavailable from the first write that fails, nothing forwarded without its record, the log verifies, the process stays up', async () => {
    const audit = path.join(dir, 'audit');
    const port = await freePort();
    const adminPort = await freePort();
    const child = spawn('prlimit', [`--fsize=${LIMIT_BYTES}`, process.execPath, BIN, 'serve'], {
      env: {
        PATH: process.env['PATH'] ?? '', TELEGATE_PORT: String(port), TELEGATE_ADMIN_PORT: String(adminPort),
        TELEGATE_HASH_KEY: 'disk-full-hash-key-0123456789abcdef', TELEGATE_AUDIT_DIR: audit, TELEGATE_DATA_DIR: path.join(dir, 'data'),
        TELEGATE_POLICIES: path.resolve(__dirname, '../../policies'), TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_CODER: '2',
        TELEGATE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    const url = `http://127.0.0.1:${port}`;
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await eventually('telegate ready', async () => (await httpCall(`${adminUrl}/readyz`).then((r) => r.status === 200, () => false)) || undefined, 15_000);

    // Four instances post until the disk has been full for a while (bounded: the limit is a few dozen records).
    const replies: HttpReply[] = [];
    let refusedSince = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (refusedSince < 20 && replies.length < 2_000) {
        const reply = await post(url);
        replies.push(reply);
        if (reply.status === 503) refusedSince++;
      }
    }));
    const statuses = replies.map((r) => r.status);
    expect(child.exitCode).toBeNull();
    expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(0);
    for (const r of replies.filter((x) => x.status === 503)) {
      expect(jsonOf(r)).toMatchObject({ error: 'audit-unavailable' });
      expect(r.headers['retry-after']).toBeDefined();
    }
    // The vendor got exactly the accepted requests, no more.
    expect(vendor.received).toHaveLength(statuses.filter((s) => s === 202).length);
    expect((await httpCall(`${adminUrl}/healthz`)).status).toBe(200);
    const readiness = await httpCall(`${adminUrl}/readyz`);
    expect(readiness.status).toBe(503);
    expect(jsonOf(readiness)).toMatchObject({ ready: false, audit: { writable: false } });

    child.kill('SIGTERM');
    const exit = await exited;
    // The stop record cannot be written either; telegate says so and exits rather than hanging or crashing silently.
    expect([0, 1]).toContain(exit);

    const files = await readdir(audit);
    for (const f of files) expect((await stat(path.join(audit, f))).size).toBeLessThanOrEqual(LIMIT_BYTES);
    expect((await verifyAuditDir(audit)).firstError).toBeUndefined();
    const forwarded = new Set(egressRecords(await readAuditRecords(audit))
      .filter((r) => r.record['decision'] === 'forwarded').map((r) => sha256(r.bodyBytes!)));
    expect(vendor.received.filter((r) => !forwarded.has(sha256(r.body)))).toEqual([]);
    expect(output).not.toContain('user1@example.com');
  }, 60_000);
});
