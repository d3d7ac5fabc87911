/**
 * Large bodies are judged on worker threads (limits.judge_thread_bytes): the admin port and a small
 * Automatisch batch are answered while a large Coder snapshot is being judged, before the snapshot's own
 * answer; and a body judged on a thread leaves exactly as it would from the event loop (same bytes, same
 * pseudonyms, same record counts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateCoderSnapshot } from '../../bench/coder-snapshot-generator';
import { RUDDER_AUTHORIZATION } from '../../bench/proxy/bodies';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { requestIdOf } from '../helpers/refusal-checks';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BATCH = readFileSync(path.join(POLICIES, 'tests', 'automatisch-sdk1.input.json'));
const RUDDER = { 'content-type': 'application/json', authorization: RUDDER_AUTHORIZATION, 'user-agent': 'analytics-node/1.1.5' };
const CODER = { 'x-coder-version': 'v2.24.1' };

let vendor: StandInVendor;
let threaded: TestGateway;
let inline: TestGateway;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  const env = { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url };
  threaded = await startTestGateway({ env, configYaml: 'limits: { judge_thread_bytes: 1024 }\n' });
  inline = await startTestGateway({ env, configYaml: 'limits: { judge_thread_bytes: 1073741824 }\n' });
});

afterAll(async () => {
  await threaded.close();
  await inline.close();
  await vendor.close();
});

test('admin /healthz and a small batch are answered while a large snapshot is judged, before its answer', async () => {
  const snapshot = generateCoderSnapshot(2000).body;
  const order: string[] = [];
  const big = httpCall(`${threaded.url}/snapshot`, { method: 'POST', body: snapshot, headers: CODER })
    .then((r) => { order.push('snapshot'); return r; });
  // The admin port reports the snapshot as being judged on a thread: it answered while the body was
  // judged. On the event loop that could never be seen (the gauge would go up and down within one turn).
  let answered = false;
  void big.then(() => { answered = true; });
  for (;;) {
    const metrics = (await httpCall(`${threaded.adminUrl}/metrics`)).body;
    if (/^telegate_judging_bodies\{where="thread"\} 1$/m.test(metrics)) break;
    if (answered) throw new Error('the snapshot was answered before the admin port ever saw it being judged');
    await new Promise((r) => setTimeout(r, 5));
  }
  const health = httpCall(`${threaded.adminUrl}/healthz`).then((r) => { order.push('healthz'); return r; });
  // The batch is judged on the event loop meanwhile; its answer also waits for its audit record, which may
  // share a group commit with the snapshot's, so only its success is asserted, not its place in the order.
  const batch = httpCall(`${threaded.url}/v1/batch`, { method: 'POST', body: BATCH, headers: RUDDER });
  const [bigReply, healthReply, batchReply] = await Promise.all([big, health, batch]);
  expect([bigReply.status, healthReply.status, batchReply.status]).toEqual([202, 200, 202]); // the stand-in answers every vendor route 202
  expect(order).toEqual(['healthz', 'snapshot']);
});

test('a body judged on a thread leaves exactly as one judged on the event loop, with the same record', async () => {
  const body = readFileSync(path.join(POLICIES, 'tests', 'coder-snapshot.input.json'));
  const sent: Buffer[] = [];
  const records: Record<string, unknown>[] = [];
  for (const gw of [threaded, inline]) {
    const before = vendor.received.length;
    const reply = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body, headers: CODER });
    expect(reply.status).toBe(202);
    sent.push(vendor.received[before]!.body);
    const record = egressRecords(await readAuditRecords(gw.auditDir)).find((r) => r.record['id'] === requestIdOf(reply))!.record;
    records.push(record);
  }
  expect(sent[0]!.equals(sent[1]!)).toBe(true);
  const counts = (r: Record<string, unknown>) => ['dropped', 'hashed', 'unknown', 'invalid', 'redacted', 'detections', 'body_sha256'].map((k) => r[k]);
  expect(counts(records[0]!)).toEqual(counts(records[1]!));
});

test('a refusal found on a thread is the same refusal: 422 integer-out-of-range', async () => {
  const body = `{"deployment_id":"3f6c9a1e-5b2d-4e8f-9a7c-1d2e3f4a5b6c","pad":"${'p'.repeat(2048)}","users":[{"id":123456789012345678901234}]}`;
  const reply = await httpCall(`${threaded.url}/snapshot`, { method: 'POST', body, headers: CODER });
  expect({ status: reply.status, error: (JSON.parse(reply.body) as { error: string }).error }).toEqual({ status: 422, error: 'integer-out-of-range' });
});
