/**
 * A body can be small on the wire, small enough inflated, and still cost gigabytes as a parsed tree: a
 * gzip of millions of tiny objects. limits.values refuses it before a tree is built; a body within the
 * limit still passes.
 */
import { gzipSync } from 'node:zlib';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

let vendor: StandInVendor;
let gw: TestGateway;
beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url }, configYaml: 'limits: { values: 10000 }\n' });
});
afterAll(async () => {
  await gw.close();
  await vendor.close();
});

/** A snapshot of `n` users, each `{"id": "...", "status": "active"}`: 5 values a user, plus the envelope. */
function users(n: number): Buffer {
  const list = Array.from({ length: n }, (_, i) => ({ id: `0f3c5a52-8f4a-4a89-9c61-${String(i).padStart(12, '0')}`, status: 'active' }));
  return gzipSync(JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11', users: list }));
}

test('a gzip of too many tiny values is refused 413 too-many-values, recorded, and nothing leaves', async () => {
  const bomb = users(50_000);
  expect(bomb.length).toBeLessThan(1_000_000);
  const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: bomb, headers: { 'content-encoding': 'gzip' } });
  expect(r.status).toBe(413);
  expect(await r.json()).toEqual({ error: 'too-many-values', detail: 'the body holds more than 10000 JSON values (limits.values)' });
  expect(vendor.received).toHaveLength(0);
  const records = egressRecords(await readAuditRecords(gw.auditDir));
  expect(records.map((x) => [x.record['decision'], x.record['reason']])).toEqual([['rejected', 'too-many-values']]);
});

test('a body within the limit is forwarded', async () => {
  const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: users(1_000), headers: { 'content-encoding': 'gzip' } });
  expect(r.status).toBe(202);
  expect(vendor.received).toHaveLength(1);
});
