/**
 * Fair connections (issue 14): one client holding many connections that trickle a body byte now and then
 * must not lock other instances out. It gets at most limits.connections_per_client of the listener's
 * limits.connections (the rest are closed as they arrive and counted), and each body it trickles is
 * refused `408 body-timeout` once it is later than limits.body_timeout_ms plus what it earned at
 * limits.body_min_rate; a normal instance is served all along.
 *
 * The slow client speaks from 127.0.0.2, the normal instance from 127.0.0.1 (Linux routes all of 127/8 to
 * the loopback interface): two peers, as the per-client cap sees them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { parseRawReplies } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';
import { createTestCa, issueServerCertificate } from '../helpers/test-ca';

const CONNECTIONS = 6;
const PER_CLIENT = 4;
const SLOW_CONNECTIONS = 10;

let vendor: StandInVendor;
let gw: TestGateway;
beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url },
    configYaml: `limits: { connections: ${CONNECTIONS}, connections_per_client: ${PER_CLIENT}, body_timeout_ms: 1500, body_min_rate: 1000 }\n`,
  });
});
afterAll(async () => {
  await gw.close();
  await vendor.close();
});

interface Slow { socket: Socket; received: Buffer[]; closed: Promise<void>; isClosed: () => boolean }

/** A connection from 127.0.0.2 that sends a head promising 1,000 body bytes, then one byte every 400 ms. */
function slowConnection(): Promise<Slow> {
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: '127.0.0.2' }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      const received: Buffer[] = [];
      let closed = false;
      socket.on('data', (c: Buffer) => received.push(c));
      const closing = new Promise<void>((done) => socket.once('close', () => { closed = true; clearInterval(trickle); done(); }));
      socket.write(`POST /snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{`);
      const trickle = setInterval(() => { if (socket.writable) socket.write(' '); }, 400);
      resolve({ socket, received, closed: closing, isClosed: () => closed });
    });
    socket.once('error', reject);
  });
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(parsePrometheusText((await httpCall(`${gw.adminUrl}/metrics`)).body), name, labels) ?? 0;
}

test('a client trickling bodies on many connections holds only its share, each body is cut at its deadline, and another instance is served', async () => {
  const slow = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => slowConnection()));

  // Those past the per-client cap are closed as they arrive, with nothing said.
  for (let i = 0; i < 100 && (await metric('telegate_connections_refused_total', { reason: 'per-client-limit' })) < SLOW_CONNECTIONS - PER_CLIENT; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await metric('telegate_connections_refused_total', { reason: 'per-client-limit' })).toBe(SLOW_CONNECTIONS - PER_CLIENT);
  // The operator hears of it once (a client retrying in a loop must not flood the log), with the address.
  const lines = gw.logLines.filter((l) => l.includes('"refused":"per-client-limit"'));
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ client: '127.0.0.2', limit: PER_CLIENT });

  // The slow client holds four of the six: a normal instance still gets in and is answered.
  const body = JSON.stringify({ deployment_id: randomUUID() });
  const served = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body });
  expect(served.status).toBe(202);
  expect(vendor.received.map((r) => r.body.toString('utf8'))).toEqual([body]);

  // Every trickling connection ends: refused at the cap, or answered 408 once its body is late.
  await Promise.all(slow.map((s) => s.closed));
  const answers = slow.map((s) => parseRawReplies(Buffer.concat(s.received)).replies.map((r) => `${r.status} ${JSON.parse(r.body).error}`));
  expect(answers.filter((a) => a.length === 0)).toHaveLength(SLOW_CONNECTIONS - PER_CLIENT);
  expect(answers.filter((a) => a.length > 0)).toEqual(Array(PER_CLIENT).fill(['408 body-timeout']));

  // Nothing of theirs left, and the audit log says why.
  expect(vendor.received).toHaveLength(1);
  const rejected = egressRecords(await readAuditRecords(gw.auditDir)).filter((r) => r.record['decision'] === 'rejected');
  expect(rejected.map((r) => r.record['reason'])).toEqual(Array(PER_CLIENT).fill('body-timeout'));
  expect(await metric('telegate_rejections_total', { reason: 'body-timeout' })).toBe(PER_CLIENT);
}, 30_000);

test('a body that keeps to body_min_rate is not cut at body_timeout_ms', async () => {
  // 1,500 ms plus one second per 1,000 bytes: 400 bytes every 200 ms (2,000 a second) earns more than it spends.
  const { port } = new URL(gw.url);
  const deploymentId = randomUUID();
  const payload = JSON.stringify({ deployment_id: deploymentId, padding: ' '.repeat(5_000) });
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST /snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${payload.length}\r\n\r\n`);
  for (let at = 0; at < payload.length; at += 400) {
    socket.write(payload.slice(at, at + 400));
    await new Promise((r) => setTimeout(r, 200));
  }
  await closed;
  expect(parseRawReplies(Buffer.concat(chunks)).replies.map((r) => r.status)).toEqual([202]);
  expect(vendor.received.at(-1)!.body.toString('utf8')).toBe(JSON.stringify({ deployment_id: deploymentId }));
}, 30_000);

describe('the per-client cap spans a plain and a TLS listener', () => {
  let dir: string;
  let tlsGw: TestGateway;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'telegate-slow-tls-'));
    const authority = await createTestCa(dir);
    const { certPath, keyPath } = await issueServerCertificate(authority, dir, ['localhost']);
    tlsGw = await startTestGateway({
      env: { TELEGATE_UPSTREAM_CODER: vendor.url },
      configYaml: `listen:\n  - { host: 127.0.0.1, port: 0 }\n  - { host: 127.0.0.1, port: 0, tls: { cert: ${JSON.stringify(certPath)}, key: ${JSON.stringify(keyPath)} } }\nlimits: { connections_per_client: 2 }\n`,
    });
  });
  afterAll(async () => {
    await tlsGw.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('two plain connections from one address leave it no TLS connection, and that refusal is no TLS failure', async () => {
    const open = (url: string): Promise<Socket> => new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: Number(new URL(url).port), localAddress: '127.0.0.2' }, () => resolve(s));
      s.once('error', reject);
    });
    const held = [await open(tlsGw.urls[0]!), await open(tlsGw.urls[0]!)];
    const refused = await open(tlsGw.urls[1]!);
    await new Promise<void>((resolve) => { refused.on('error', () => undefined); refused.once('close', () => resolve()); });
    const samples = parsePrometheusText((await httpCall(`${tlsGw.adminUrl}/metrics`)).body);
    expect(sampleValue(samples, 'telegate_connections_refused_total', { reason: 'per-client-limit' })).toBe(1);
    expect(samples.filter((s) => s.name === 'telegate_tls_handshake_failures_total' && s.value > 0)).toEqual([]);
    for (const s of held) s.destroy();
  });
});
