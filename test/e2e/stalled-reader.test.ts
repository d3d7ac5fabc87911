/**
 * A client that sends requests and never reads the answers (issue 14): once its receive window and the
 * kernel's buffers are full, the gateway's writes make no progress. limits.write_timeout_ms ends such a
 * connection (counted as `write-stalled`), so it does not hold its slot forever, and other instances are
 * served all along. Each of its requests that left has its outcome in the audit log.
 */
import { randomUUID } from 'node:crypto';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { openSocket } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

/** Under the 1 MiB the gateway relays of a vendor's reply; twelve of them overflow any socket buffers. */
const REPLY = 'x'.repeat(900 * 1024);
const REQUESTS = 12;

let vendor: StandInVendor;
let gw: TestGateway;
beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: REPLY } });
  gw = await startTestGateway({
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url },
    configYaml: 'limits: { write_timeout_ms: 500 }\n',
  });
});
afterAll(async () => {
  await gw.close();
  await vendor.close();
});

async function stalledCount(): Promise<number> {
  const samples = parsePrometheusText((await httpCall(`${gw.adminUrl}/metrics`)).body);
  return sampleValue(samples, 'telegate_connections_timed_out_total', { reason: 'write-stalled' }) ?? 0;
}

test('a client that never reads its answers is disconnected; another instance is served meanwhile', async () => {
  const host = new URL(gw.url).host;
  const socket = await openSocket(gw.url);
  let closed = false;
  let received = 0;
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  socket.on('data', (c: Buffer) => { received += c.length; });
  // Never read: the socket's buffer fills and the kernel's window closes.
  socket.pause();
  const bodies = Array.from({ length: REQUESTS }, () => JSON.stringify({ deployment_id: randomUUID() }));
  socket.write(bodies.map((b) => `POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${b.length}\r\n\r\n${b}`).join(''));

  // Served while the stalled client holds its connection.
  const other = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: JSON.stringify({ deployment_id: randomUUID() }) });
  expect(other.status).toBe(200);
  expect(other.body).toBe(REPLY);

  for (let i = 0; i < 200 && (await stalledCount()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await stalledCount()).toBe(1);

  // The gateway ended it: reading now drains what was buffered, then the connection is gone, well short of
  // the twelve answers.
  socket.resume();
  for (let i = 0; i < 200 && !closed; i++) await new Promise((r) => setTimeout(r, 50));
  expect(closed).toBe(true);
  expect(received).toBeLessThan(REQUESTS * REPLY.length);

  // And served after it.
  const after = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: JSON.stringify({ deployment_id: randomUUID() }) });
  expect(after.status).toBe(200);

  // Every request of the stalled connection that left has an outcome record once the gateway stops.
  await gw.gateway.close(2_000);
  const read = await readAuditRecords(gw.auditDir);
  const records = read.map((r) => r.record);
  const forwarded = egressRecords(read).filter((r) => r.record['decision'] === 'forwarded');
  const outcomes = new Set(records.filter((r) => r['type'] === 'outcome').map((r) => r['id']));
  for (const r of forwarded) expect(outcomes.has(r.record['id'])).toBe(true);
  expect(vendor.received).toHaveLength(forwarded.length);
}, 60_000);
