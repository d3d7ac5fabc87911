/**
 * Hostile request lines and heads (issue 7): telegate is a reverse proxy for a few vendor endpoints,
 * never a forward proxy, and a malformed or slow client cannot reach a vendor or stall the gateway.
 * Requests are written by hand over TCP where no client library would send them. For every refusal:
 * the status, a `{"error","detail"}` body, nothing at the stand-in vendor, no egress record where no
 * vendor route was reached, and the next good request still forwarded.
 */
import { randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { eventually, httpCall } from '../helpers/http-call';
import { openSocket, rawExchange, readReply, type RawReply } from '../helpers/raw-http';
import { egressCount, egressRecordOf, expectRefusal, expectStillServing, requestIdOf, type AnyReply } from '../helpers/refusal-checks';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

let vendor: StandInVendor;
let gw: TestGateway;
let host: string;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url },
    configYaml: 'limits: { body_bytes: 4096, inflated_bytes: 65536, depth: 16 }\nupstream: { timeout_ms: 300 }\n',
  });
  host = new URL(gw.url).host;
});

afterAll(async () => {
  await gw.close();
  await vendor.close();
});

const snapshotBody = (): string => JSON.stringify({ deployment_id: randomUUID() });

/** A refusal before any vendor route: the reply, nothing at the vendor, no egress record, still serving. */
async function expectRefusedWithoutRecord(send: () => Promise<AnyReply>, status: number, code: string): Promise<AnyReply> {
  const vendorBefore = vendor.received.length;
  const recordsBefore = await egressCount(gw.auditDir);
  const reply = await send();
  expectRefusal(reply, status, code);
  expect(vendor.received.length).toBe(vendorBefore);
  expect(await egressCount(gw.auditDir)).toBe(recordsBefore);
  await expectStillServing(gw.url, vendor);
  return reply;
}

describe('not a forward proxy', () => {
  test('an absolute-form target (POST http://evil.example/snapshot): 400 absolute-form, nothing sent anywhere', async () => {
    const body = snapshotBody();
    await expectRefusedWithoutRecord(() => rawExchange(gw.url,
      `POST http://evil.example/snapshot HTTP/1.1\r\nHost: evil.example\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`), 400, 'absolute-form');
  });

  test('an absolute-form target naming the vendor itself is refused too: only routes choose where bytes go', async () => {
    const body = snapshotBody();
    const vendorHost = new URL(vendor.url).host;
    await expectRefusedWithoutRecord(() => rawExchange(gw.url,
      `POST ${vendor.url}/snapshot HTTP/1.1\r\nHost: ${vendorHost}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`), 400, 'absolute-form');
  });

  test.each([
    ['evil.example:443'],
    ['127.0.0.1:PORT'],
  ])('CONNECT %s: 405 connect-refused and no tunnel', async (target) => {
    const authority = target.replace('PORT', new URL(vendor.url).port);
    const reply = await expectRefusedWithoutRecord(() => rawExchange(gw.url, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`), 405, 'connect-refused');
    expect(reply.headers['connection']).toBe('close');
  });
});

describe('routes: only declared vendor endpoints', () => {
  test.each([
    ['/nope'],
    ['/coder/nope'],
    ['/coder/../snapshot'],
    ['/coder/%2e%2e/snapshot'],
    ['//snapshot'],
  ])('POST %s: 404 not-found, no record', async (target) => {
    await expectRefusedWithoutRecord(
      () => rawExchange(gw.url, `POST ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`), 404, 'not-found');
  });

  test.each([['GET'], ['PUT'], ['DELETE']])('%s /snapshot: 405 method-not-allowed with Allow: POST, no record', async (method) => {
    const reply = await expectRefusedWithoutRecord(() => httpCall(`${gw.url}/snapshot`, { method }), 405, 'method-not-allowed');
    expect(reply.headers['allow']).toBe('POST');
  });
});

describe('malformed heads are refused by the HTTP parser, with a JSON reason', () => {
  const asReply = (raw: RawReply): AnyReply => ({ status: raw.status, headers: raw.headers, body: raw.body });

  test('a 20 KB header (over Node\'s 16 KB header limit): 431 headers-too-large, nothing forwarded', async () => {
    const body = snapshotBody();
    await expectRefusedWithoutRecord(async () => asReply(await rawExchange(gw.url,
      `POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nX-Padding: ${'p'.repeat(20_000)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)),
    431, 'headers-too-large');
  });

  // Framing refusals in full: test/e2e/framing-table.test.ts.
  test('Content-Length and Transfer-Encoding together (request smuggling): 400, nothing forwarded', async () => {
    const smuggled = `POST /deployment HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\n\r\n{}`;
    const chunked = `0\r\n\r\n${smuggled}`;
    await expectRefusedWithoutRecord(async () => asReply(await rawExchange(gw.url,
      `POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${Buffer.byteLength(chunked)}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`)),
    400, 'bad-framing');
  });

  test('two different Content-Length headers: 400, nothing forwarded', async () => {
    await expectRefusedWithoutRecord(async () => asReply(await rawExchange(gw.url,
      `POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}`)),
    400, 'bad-framing');
  });
});

describe('slowloris: clients trickling their heads or bodies do not hold up anyone else', () => {
  // What bounds such a client: server.requestTimeout in src/gateway/start.ts (the whole request, head
  // and body, within 120 s; a header-trickler is cut at server.headersTimeout, 15 s), answered 408 by
  // the clientError handler. Neither is configurable, so no test waits for them; these show the
  // gateway serves others meanwhile. Nothing caps the number of such connections (server.maxConnections).
  test('while a body trickles in a byte at a time, other requests are forwarded; the trickled one is then judged whole', async () => {
    const body = snapshotBody();
    const socket = await openSocket(gw.url);
    try {
      const reply = readReply(socket);
      socket.write(`POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Coder-Version: v2.24.1\r\n\r\n`);
      const half = Math.floor(body.length / 2);
      for (let i = 0; i < half; i++) socket.write(body[i]!);

      // The trickler is mid-body: others are served in full, more than once.
      await expectStillServing(gw.url, vendor);
      await expectStillServing(gw.url, vendor);

      const before = vendor.received.length;
      socket.write(body.slice(half));
      const answered = await reply;
      expect(answered.status).toBe(202);
      expect(vendor.received.length).toBe(before + 1);
      expect(vendor.received[before]?.body.toString('utf8')).toBe(body);
      const record = await egressRecordOf(gw.auditDir, requestIdOf({ status: answered.status, headers: answered.headers, body: answered.body }));
      expect(record?.['decision']).toBe('forwarded');
    } finally {
      socket.destroy();
    }
  });

  test('clients trickling their heads (never finished) do not hold up others, and reach no vendor route', async () => {
    const sockets = await Promise.all([1, 2, 3].map(() => openSocket(gw.url)));
    const recordsBefore = await egressCount(gw.auditDir);
    try {
      for (const socket of sockets) socket.write(`POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nX-Coder-Version: v2`);
      await expectStillServing(gw.url, vendor);
      for (const socket of sockets) socket.write('.24.1\r\nX-Slow: 1\r\n');
      await expectStillServing(gw.url, vendor);
      // Only the two good requests were recorded: a head that never ends is no request yet.
      expect(await egressCount(gw.auditDir)).toBe(recordsBefore + 2);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  test('a client that sends its head and never its body: others are served, and its disconnect leaves a rejected record', async () => {
    const socket = await openSocket(gw.url);
    const recordsBefore = await egressCount(gw.auditDir);
    const vendorBefore = vendor.received.length;
    socket.write(`POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1000\r\n\r\n{"deployment_id":`);
    await expectStillServing(gw.url, vendor);
    socket.destroy();
    // The abandoned request reached a vendor route: its egress record says it was refused, once it is written.
    const abandoned = await eventually('the abandoned request\'s record', async () => {
      const records = egressRecords(await readAuditRecords(gw.auditDir)).slice(recordsBefore).map((r) => r.record);
      return records.find((r) => r['decision'] === 'rejected');
    });
    expect(abandoned['reason']).toBe('aborted');
    expect(abandoned).not.toHaveProperty('body');
    expect(vendor.received.length).toBe(vendorBefore + 1);
  });
});
