/**
 * Two replicas behind one Service: one TELEGATE_HASH_KEY (a Kubernetes Secret), one audit folder (a shared
 * volume), a replica id each. The vendor must see the same pseudonyms whichever replica a snapshot took,
 * or its joins across reports break; and the shared folder must hold two chains that each verify, so
 * neither replica's records can be mistaken for, or break, the other's.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { jsonEqual } from '../../src/policy/fixture-diff';
import type { JsonValue } from '../../src/policy';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway-harness';
import { exactJson, packFixture } from '../helpers/pack-fixture';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const SHARED_KEY = 'replicas-share-this-key-from-one-secret-5b1e';

function postSnapshot(base: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/snapshot', base), {
      method: 'POST',
      headers: { 'User-Agent': 'Go-http-client/1.1', 'X-Coder-Version': 'v2.24.1', 'Content-Length': String(body.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const member = (value: JsonValue | undefined, key: string): JsonValue | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
const userIds = (body: JsonValue): (JsonValue | undefined)[] => {
  const users = member(body, 'users');
  return Array.isArray(users) ? users.map((u) => member(u, 'id')) : [];
};

describe.each<{ naming: string; replica: (id: string) => TestGatewayOptions }>([
  { naming: 'audit.replica in each replica\'s file', replica: (id) => ({ configYaml: `audit:\n  replica: ${id}\n` }) },
  { naming: 'TELEGATE_AUDIT_REPLICA beside one shared file', replica: (id) => ({ configYaml: 'log: { level: info }\n', env: { TELEGATE_AUDIT_REPLICA: id } }) },
])('two replicas, one key, one audit folder, replica ids by $naming', ({ replica }) => {
  const snapshot = packFixture('coder-snapshot', SHARED_KEY);
  let vendor: StandInVendor;
  let auditDir: string;
  const replicas: TestGateway[] = [];

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    auditDir = await mkdtemp(path.join(tmpdir(), 'telegate-replicas-'));
    for (const id of ['gw-a', 'gw-b']) {
      const own = replica(id);
      replicas.push(await startTestGateway({
        ...own,
        env: { ...own.env, TELEGATE_HASH_KEY: SHARED_KEY, TELEGATE_AUDIT_DIR: auditDir, TELEGATE_UPSTREAM_CODER: vendor.url },
      }));
    }
    for (const gw of replicas) expect(await postSnapshot(gw.url, snapshot.input)).toBe(202);
    // Stopped as a rollout stops them: each chain ends with its `stop` record.
    for (const gw of replicas) await gw.close();
  });
  afterAll(async () => {
    await vendor.close();
    await rm(auditDir, { recursive: true, force: true });
  });

  test('the vendor receives the same pseudonyms from both, under the shared key', () => {
    expect(vendor.received).toHaveLength(2);
    const [a, b] = vendor.received.map((r) => exactJson(r.body));
    if (a === undefined || b === undefined) throw new Error('two bodies expected');
    const original = exactJson(snapshot.input);
    // Pseudonymized (not the instance's ids), and the same ids from either replica.
    expect(member(a, 'deployment_id')).not.toEqual(member(original, 'deployment_id'));
    expect(member(a, 'deployment_id')).toEqual(member(b, 'deployment_id'));
    expect(userIds(a).length).toBeGreaterThan(0);
    expect(userIds(a)).toEqual(userIds(b));
    // Indeed the whole body: byte for byte, and what the pack's fixture says level 1 sends under that key.
    expect(vendor.received[0]?.body.equals(vendor.received[1]?.body ?? Buffer.alloc(0))).toBe(true);
    expect(jsonEqual(snapshot.expected(1), a)).toBe(true);
  });

  test('the shared folder holds one chain per replica, each whole and stopped', async () => {
    expect((await readdir(auditDir)).sort()).toEqual([
      expect.stringMatching(/^audit-\d{4}-\d{2}-\d{2}-gw-a\.jsonl$/),
      expect.stringMatching(/^audit-\d{4}-\d{2}-\d{2}-gw-b\.jsonl$/),
      'locks',
    ]);
    // One lock per chain (SPEC §6: one writer per chain), each with the holder it last had.
    expect((await readdir(path.join(auditDir, 'locks'))).sort()).toEqual(['gw-a.holder', 'gw-a.lock', 'gw-b.holder', 'gw-b.lock']);
    const report = await verifyAuditDir(auditDir);
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => [c.replica, c.stopped])).toEqual([['gw-a', true], ['gw-b', true]]);

    const egress = egressRecords(await readAuditRecords(auditDir));
    expect(egress).toHaveLength(2);
    for (const [i, record] of egress.entries()) {
      expect(record.record['decision']).toBe('forwarded');
      expect(record.bodyBytes?.equals(vendor.received[i]?.body ?? Buffer.alloc(0))).toBe(true);
    }
  });
});
