/**
 * The worst day: telegate is killed with SIGKILL in the middle of a load, then started again on the
 * same folders. Nothing may have left without its audit record, the log must verify whole, and the
 * restarted gateway must continue the chain. And the ordinary day: SIGTERM under load lets requests in
 * flight finish and closes the log with a `stop` record.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const KEY = 'crash-test-hash-key-0123456789abcdef';

function snapshotBody(n: number): Buffer {
  const id = (i: number): string => `0f3c5a52-8f4a-4a89-9c61-${String(i).padStart(12, '0')}`;
  return Buffer.from(JSON.stringify({
    deployment_id: id(0),
    users: Array.from({ length: 20 }, (_, i) => ({ id: id(n * 100 + i), email: `user${n}-${i}@example.com`, status: 'active', login_type: 'oidc' })),
  }));
}

/** One Coder-style POST; resolves with the status, or 0 when the connection failed (the gateway died). */
function post(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/snapshot`, { method: 'POST', headers: { 'X-Coder-Version': 'v2.24.1', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** `workers` loops sending until `stop()`; returns every status seen. */
function load(url: string, workers: number): { stop: () => Promise<number[]> } {
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async () => {
    const statuses: number[] = [];
    while (running) {
      const status = await post(url, snapshotBody(n++));
      statuses.push(status);
      if (status === 0) break;
    }
    return statuses;
  });
  return { stop: async () => { running = false; return (await Promise.all(loops)).flat(); } };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('crash and shutdown under load', () => {
  let dir: string;
  let vendor: StandInVendor;
  let env: Record<string, string>;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'telegate-crash-'));
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    env = {
      TELEGATE_HASH_KEY: KEY,
      TELEGATE_AUDIT_DIR: path.join(dir, 'audit'),
      TELEGATE_DATA_DIR: path.join(dir, 'data'),
      TELEGATE_POLICIES: path.resolve(__dirname, '../../policies'),
      TELEGATE_UPSTREAM_CODER: vendor.url,
      TELEGATE_LOG_LEVEL: 'warn',
    };
  });
  afterEach(async () => {
    await vendor.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('kill -9 mid-load, restart: the log verifies whole and every body the vendor received has its egress record', async () => {
    const first: GatewayProcess = await spawnGateway(env);
    const traffic = load(first.url, 8);
    // Let a few hundred requests through, then pull the plug without warning.
    while (vendor.received.length < 200) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const statuses = await traffic.stop();

    const second = await spawnGateway(env);
    expect(await post(second.url, snapshotBody(999_999))).toBe(202);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const report = await verifyAuditDir(env['TELEGATE_AUDIT_DIR']!);
    expect(report.firstError).toBeUndefined();
    expect(report.ok).toBe(true);

    const records = await readAuditRecords(env['TELEGATE_AUDIT_DIR']!);
    const recorded = new Set(egressRecords(records).filter((r) => r.record['decision'] === 'forwarded').map((r) => sha256(r.bodyBytes!)));
    const unrecorded = vendor.received.filter((r) => !recorded.has(sha256(r.body)));
    expect(unrecorded).toHaveLength(0);
    // Every 202 the instances saw stands for a body the vendor received.
    expect(vendor.received.length).toBeGreaterThanOrEqual(statuses.filter((s) => s === 202).length + 1);
    // The restarted writer continued the same chain and closed it cleanly.
    const types = records.map((r) => r.record['type']);
    expect(types.filter((t) => t === 'start')).toHaveLength(2);
    expect(types[types.length - 1]).toBe('stop');
  });

  test('SIGTERM under load: requests in flight finish, and the log ends with a stop record', async () => {
    const gateway = await spawnGateway(env);
    const traffic = load(gateway.url, 8);
    while (vendor.received.length < 100) await new Promise((r) => setTimeout(r, 10));
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    const statuses = await traffic.stop();
    // Requests either completed (202) or were never accepted (connection refused/closed: 0); none failed half-way.
    expect(statuses.filter((s) => s !== 202 && s !== 0)).toEqual([]);

    const records = await readAuditRecords(env['TELEGATE_AUDIT_DIR']!);
    expect(records[records.length - 1]!.record['type']).toBe('stop');
    const forwarded = egressRecords(records).filter((r) => r.record['decision'] === 'forwarded');
    const outcomes = new Set(records.filter((r) => r.record['type'] === 'outcome').map((r) => r.record['id']));
    // Every forwarded request's outcome was recorded before the stop.
    expect(forwarded.filter((r) => !outcomes.has(r.record['id']))).toEqual([]);
    expect(forwarded).toHaveLength(vendor.received.length);
    expect((await verifyAuditDir(env['TELEGATE_AUDIT_DIR']!)).ok).toBe(true);
  });
});
