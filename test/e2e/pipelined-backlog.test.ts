/**
 * A client that pipelines thousands of requests on one connection without reading the answers (issue 14):
 * the gateway judges one request at a time per connection (strict framing), so everything parsed ahead
 * of its turn waits in memory. It stops reading such a connection once 16 requests wait, so what one
 * connection can make it hold is bounded by that plus one read of the socket (Node parses a whole read,
 * at most 64 KiB, at once), not by what the client sends. The client still gets every answer, in order,
 * once it reads, and other instances are served meanwhile.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { openSocket } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const REQUESTS = 5_000;
/** Node reads a TCP socket 64 KiB at a time (libuv's read buffer). */
const READ_BYTES = 64 * 1024;

let vendor: StandInVendor;
let gw: TestGateway;
beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({
    // Coder at level 2 passes deployment_id unchanged, so each forwarded body says which request it was.
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url },
    // Ten thousand records: without fsync the test takes seconds, and durability is not what it is about.
    configYaml: 'audit: { fsync: false }\n',
  });
});
afterAll(async () => {
  await gw.close();
  await vendor.close();
});

interface Reply { status: number; id: string | undefined }

/** Status and x-request-id of every reply in `raw`, in order (a Content-Length or a chunked body). */
function replies(raw: Buffer): Reply[] {
  const out: Reply[] = [];
  let at = 0;
  for (;;) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return out;
    const head = raw.subarray(at, headEnd).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    out.push({ status, id: /\r\nx-request-id: *([^\r]+)/i.exec(head)?.[1] });
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    at = length === undefined ? chunkedEnd(raw, headEnd + 4) : headEnd + 4 + Number(length);
  }
}

/** The offset past the chunked body that starts at `from` (trailers are not expected). */
function chunkedEnd(raw: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    at = lineEnd + 2 + size + 2;
    if (size === 0) return at;
  }
}

function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
}

test('5,000 pipelined requests in one write: the backlog stays bounded, every answer comes in order, another instance is served', async () => {
  const host = new URL(gw.url).host;
  const bodies = Array.from({ length: REQUESTS }, () => JSON.stringify({ deployment_id: randomUUID() }));
  const requests = bodies.map((body, i) => `POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${i === REQUESTS - 1 ? 'Connection: close\r\n' : ''}\r\n${body}`);
  const smallest = Math.min(...requests.map((r) => Buffer.byteLength(r)));

  const socket = await openSocket(gw.url);
  socket.on('error', () => undefined);
  // Not reading the answers yet: they pile up in the kernel's buffers, then in the gateway's.
  socket.pause();
  socket.write(requests.join(''));

  // Another instance, on its own connection, meanwhile.
  const other = JSON.stringify({ deployment_id: randomUUID() });
  const served = await httpCall(`${gw.url}/snapshot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: other });
  expect(served.status).toBe(202);

  const all = readAll(socket);
  socket.resume();
  const answered = replies(await all);
  expect(answered).toHaveLength(REQUESTS);
  expect(answered.every((r) => r.status === 202)).toBe(true);

  // In order: the vendor got the bodies in the order sent, and the audit log's forwarded records (whose ids
  // the replies carry) are in that order too.
  const received = vendor.received.map((r) => r.body.toString('utf8')).filter((b) => b !== other);
  expect(received).toEqual(bodies);
  const forwarded = egressRecords(await readAuditRecords(gw.auditDir))
    .filter((r) => r.record['decision'] === 'forwarded' && r.bodyBytes?.toString('utf8') !== other);
  expect(forwarded.map((r) => r.bodyBytes?.toString('utf8'))).toEqual(bodies);
  expect(answered.map((r) => r.id)).toEqual(forwarded.map((r) => r.record['id']));

  // Bounded: no request ever found more waiting ahead of it on its connection than 16 plus what one read
  // of the socket can hold, far below the 5,000 sent (without the bound the whole write would wait).
  const samples = parsePrometheusText((await httpCall(`${gw.adminUrl}/metrics`)).body);
  const observed = sampleValue(samples, 'telegate_pipelined_requests_waiting_count') ?? 0;
  const bound = 16 + Math.ceil(READ_BYTES / smallest);
  expect(bound).toBeLessThan(1024);
  expect(observed).toBeGreaterThan(0);
  expect(sampleValue(samples, 'telegate_pipelined_requests_waiting_bucket', { le: '1024' })).toBe(observed);
}, 120_000);
