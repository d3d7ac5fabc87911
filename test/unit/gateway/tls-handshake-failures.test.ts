/**
 * Failed TLS handshakes on a real https server on 127.0.0.1, each kind made by a real client: counted on
 * the metric by reason (a bounded label set), and logged at most once a minute with the count of those
 * not logged since (the clock is the test's).
 */
import { createServer, type Server } from 'node:https';
import { request } from 'node:http';
import { connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createMetrics, type GatewayMetrics } from '../../../src/gateway/metrics';
import { watchTlsHandshakeFailures } from '../../../src/gateway/tls-handshake-failures';
import { selfSignedCertificate } from '../../helpers/self-signed';

let server: Server;
let port: number;
let metrics: GatewayMetrics;
let lines: Record<string, unknown>[];
let now = 0;

beforeAll(async () => {
  const { cert, key } = selfSignedCertificate('telemetry.example');
  server = createServer({ cert, key, minVersion: 'TLSv1.3' }, (_req, res) => res.end('ok'));
  metrics = createMetrics();
  lines = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>); cb(); } });
  watchTlsHandshakeFailures(server, metrics, pino({ level: 'info' }, sink), () => now);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => { await new Promise<void>((resolve) => server.close(() => resolve())); });

async function failures(): Promise<Record<string, number>> {
  const metric = await metrics.tlsHandshakeFailures.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels['reason']), v.value]));
}

/** Resolves once the server has counted one more failure than `before`. */
async function counted(before: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const total = Object.values(await failures()).reduce((a, b) => a + b, 0);
    if (total > before) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no handshake failure counted');
}

const untrusting = (): Promise<void> => new Promise((resolve) => {
  const socket = connect({ host: '127.0.0.1', port, servername: 'telemetry.example' });
  socket.on('error', () => resolve());
  socket.on('secureConnect', () => { socket.destroy(); resolve(); });
});
const plainHttp = (): Promise<void> => new Promise((resolve) => {
  request({ host: '127.0.0.1', port, path: '/' }, () => resolve()).on('error', () => resolve()).end();
});
const tls12Only = (): Promise<void> => new Promise((resolve) => {
  const socket = connect({ host: '127.0.0.1', port, maxVersion: 'TLSv1.2', rejectUnauthorized: false });
  socket.on('error', () => resolve());
  socket.on('secureConnect', () => { socket.destroy(); resolve(); });
});

test('each kind of failure is counted under its reason; one log line a minute says how many were not logged', async () => {
  now = 1_000_000;
  await untrusting();
  await counted(0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ tls_failure: 'closed-during-handshake', client: '127.0.0.1', servername: 'telemetry.example' });
  expect(String(lines[0]!['msg'])).toMatch(/^TLS handshake failed: the client closed the connection during the handshake/);

  now += 10_000;
  await plainHttp();
  await counted(1);
  now += 10_000;
  await tls12Only();
  await counted(2);
  expect(await failures()).toEqual({ 'closed-during-handshake': 1, 'not-tls': 1, 'protocol-mismatch': 1 });
  expect(lines).toHaveLength(1);

  now += 60_000;
  await untrusting();
  await counted(3);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatchObject({ tls_failure: 'closed-during-handshake', not_logged_since_last_line: 2 });
  const text = JSON.stringify(lines);
  expect(text).not.toContain('BEGIN');
});
