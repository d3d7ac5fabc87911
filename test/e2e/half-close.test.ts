/**
 * A client that ends its side after a whole request (issue 14; `socket.end()`, a FIN) can still read:
 * it is answered, and its request reaches the vendor once. A client that resets the connection after
 * its request (an RST) hears nothing; whatever the timing, the audit log says what the vendor got:
 * forwarded (with an outcome record) exactly when the vendor received it, else rejected as aborted. SPEC §5:
 * no request the instance is told was refused was forwarded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { openSocket, parseRawReplies } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

let vendor: StandInVendor;
let gw: TestGateway;
beforeEach(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url } });
});
afterEach(async () => {
  await gw.close();
  await vendor.close();
});

function request(body: string, extra = ''): string {
  return `POST /snapshot HTTP/1.1\r\nHost: ${new URL(gw.url).host}\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
}

/** The same, gzipped: decoding it takes the gateway a few turns of its event loop (zlib's thread pool). */
function gzipRequest(body: string): Buffer {
  const zipped = gzipSync(body);
  return Buffer.concat([Buffer.from(`POST /snapshot HTTP/1.1\r\nHost: ${new URL(gw.url).host}\r\nContent-Encoding: gzip\r\nContent-Length: ${zipped.length}\r\n\r\n`), zipped]);
}

/** Everything the gateway sends until it closes the connection. */
async function halfClosed(bytes: string): Promise<Buffer> {
  const socket = await openSocket(gw.url);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.end(bytes);
  await closed;
  return Buffer.concat(chunks);
}

test('a request followed by end() is answered, and the vendor gets it once', async () => {
  const body = JSON.stringify({ deployment_id: randomUUID() });
  const { replies } = parseRawReplies(await halfClosed(request(body)));
  expect(replies.map((r) => r.status)).toEqual([202]);
  expect(vendor.received.map((r) => r.body.toString('utf8'))).toEqual([body]);
  const records = egressRecords(await readAuditRecords(gw.auditDir));
  expect(records.map((r) => r.record['decision'])).toEqual(['forwarded']);
  expect(records[0]!.record['id']).toBe(replies[0]!.headers['x-request-id']);
});

test('two pipelined requests followed by end() are both answered, in order', async () => {
  const bodies = [JSON.stringify({ deployment_id: randomUUID() }), JSON.stringify({ deployment_id: randomUUID() })];
  const { replies } = parseRawReplies(await halfClosed(request(bodies[0]!) + request(bodies[1]!)));
  expect(replies.map((r) => r.status)).toEqual([202, 202]);
  expect(vendor.received.map((r) => r.body.toString('utf8'))).toEqual(bodies);
});

test('end() in the middle of a body: refused, nothing forwarded', async () => {
  const body = JSON.stringify({ deployment_id: randomUUID() });
  const { replies } = parseRawReplies(await halfClosed(request(body).slice(0, -5)));
  expect(replies.map((r) => [r.status, JSON.parse(r.body).error])).toEqual([[400, 'aborted']]);
  expect(vendor.received).toHaveLength(0);
});

test('a reset after the request, at any moment: the audit log says exactly what the vendor got', async () => {
  const sent: string[] = [];
  for (let i = 0; i < 24; i++) {
    const id = randomUUID();
    // Half of them with a megabyte to decode (the policy drops `padding`): the reset often comes mid-judging.
    // Random hex compresses about 2:1, as telemetry does, not like a decompression bomb.
    const zipped = i % 2 === 1;
    const body = JSON.stringify(zipped ? { deployment_id: id, padding: randomBytes(1 << 19).toString('hex') } : { deployment_id: id });
    sent.push(JSON.stringify({ deployment_id: id }));
    const socket = await openSocket(gw.url);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(zipped ? gzipRequest(body) : request(body));
    // Reset at different points of the request's way through the gateway: at once, or a few turns later.
    for (let turn = 0; turn < i % 6; turn++) await new Promise((r) => setImmediate(r));
    if (i % 6 === 5) await new Promise((r) => setTimeout(r, 5));
    socket.resetAndDestroy();
    await closed;
  }
  // Stopping the gateway waits for every request in flight and its records.
  await gw.gateway.close(5_000);
  const egress = egressRecords(await readAuditRecords(gw.auditDir));
  const records = (await readAuditRecords(gw.auditDir)).map((r) => r.record);
  const outcomes = new Set(records.filter((r) => r['type'] === 'outcome').map((r) => r['id']));

  const forwarded = egress.filter((r) => r.record['decision'] === 'forwarded');
  const got = vendor.received.map((r) => r.body.toString('utf8'));
  // The vendor got each forwarded body once, and nothing else.
  expect([...got].sort()).toEqual(forwarded.map((r) => r.bodyBytes!.toString('utf8')).sort());
  expect(new Set(got).size).toBe(got.length);
  for (const r of forwarded) expect(outcomes.has(r.record['id'])).toBe(true);
  // The rest, where the gateway saw them at all, were not forwarded because the client was gone.
  for (const r of egress.filter((e) => e.record['decision'] !== 'forwarded')) {
    expect([r.record['decision'], r.record['reason']]).toEqual(['rejected', 'aborted']);
  }
  expect(egress.length).toBeLessThanOrEqual(sent.length);
});

test('a reset while the vendor is answering: the outcome record says client-gone, with the status the vendor gave', async () => {
  vendor.behave({ kind: 'delay', ms: 300, status: 202 });
  const body = JSON.stringify({ deployment_id: randomUUID() });
  const socket = await openSocket(gw.url);
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(request(body));
  // The vendor has the request and takes its time answering: now the instance goes away.
  for (let i = 0; i < 200 && vendor.received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  socket.resetAndDestroy();
  await closed;

  await gw.gateway.close(5_000);
  const records = (await readAuditRecords(gw.auditDir)).map((r) => r.record);
  const egress = records.filter((r) => r['type'] === 'egress');
  expect(egress.map((r) => r['decision'])).toEqual(['forwarded']);
  const outcome = records.find((r) => r['type'] === 'outcome' && r['id'] === egress[0]!['id']);
  expect(outcome).toMatchObject({ error: 'client-gone', status: 202 });
  expect(vendor.received.map((r) => r.body.toString('utf8'))).toEqual([body]);
});
