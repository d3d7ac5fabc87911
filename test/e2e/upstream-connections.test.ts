/**
 * telegate keeps its connections to the vendor open between requests, without ever sending a
 * Connection header (HTTP/1.1 is persistent by default; SPEC §2 has telegate add no hop-by-hop header).
 * A connection per request cost CPU and, at a few thousand batches a second, left tens of thousands of
 * sockets in TIME_WAIT until connects failed. And a connection the vendor closed while idle must not
 * cost an instance its next batch.
 */
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BATCH = JSON.stringify({
  batch: [{ type: 'track', event: 'Flow created', messageId: 'm-1', anonymousId: 'a-1', timestamp: '2026-11-30T10:00:00.000Z', properties: {} }],
  sentAt: '2026-11-30T10:00:00.000Z',
});
const HEADERS = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('write-key:').toString('base64')}` };

let vendor: StandInVendor;
let gw: TestGateway;
afterEach(async () => {
  await gw.close();
  await vendor.close();
});

async function send(): Promise<number> {
  return (await httpCall(`${gw.url}/v1/batch`, { method: 'POST', headers: HEADERS, body: BATCH })).status;
}

test('consecutive batches share one upstream connection, and none carries a Connection header', async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK' } });
  gw = await startTestGateway({ env: { TELEGATE_LEVEL_AUTOMATISCH: '2', TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url } });
  for (let i = 0; i < 20; i++) expect(await send()).toBe(200);

  expect(vendor.received).toHaveLength(20);
  expect(new Set(vendor.received.map((r) => r.remotePort)).size).toBe(1);
  for (const r of vendor.received) {
    expect(r.headers['connection']).toBeUndefined();
    expect(r.headers['keep-alive']).toBeUndefined();
  }
  // Each request's log line: pino's log level and the enforced telemetry level under keys of their own
  // (a line with two "level" keys loses one in most log pipelines).
  const line = gw.logLines.find((l) => l.includes('"msg":"forwarded"'))!;
  expect(line.match(/"level":/g)).toHaveLength(1);
  expect(JSON.parse(line)).toMatchObject({ level: 30, telemetry_level: 2, vendor: 'automatisch', decision: 'forwarded', status: 200 });
});

test('a connection the vendor closed while idle is not used again: the next batch is delivered', async () => {
  // The vendor drops idle connections after 100 ms; telegate's next batch comes 400 ms later.
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK' }, keepAliveTimeoutMs: 100 });
  gw = await startTestGateway({ env: { TELEGATE_LEVEL_AUTOMATISCH: '2', TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url } });
  for (let i = 0; i < 3; i++) {
    expect(await send()).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }

  expect(vendor.received).toHaveLength(3);
  expect(new Set(vendor.received.map((r) => r.remotePort)).size).toBe(3);
  const outcomes = egressRecords(await readAuditRecords(gw.auditDir)).map((r) => r.record['decision']);
  expect(outcomes).toEqual(['forwarded', 'forwarded', 'forwarded']);
});
