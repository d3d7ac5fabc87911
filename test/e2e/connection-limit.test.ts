/**
 * limits.connections: clients that open sockets and idle cannot take every file descriptor. Past the
 * limit a new connection is closed as it arrives (and counted); once one closes, requests are served again.
 */
import { connect, type Socket } from 'node:net';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { rawExchange } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

let vendor: StandInVendor;
let gw: TestGateway;
beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url }, configYaml: 'limits: { connections: 2 }\n' });
});
afterAll(async () => {
  await gw.close();
  await vendor.close();
});

function open(): Promise<Socket> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves true when the server closes the socket without sending anything within `ms`. */
function closedByServer(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let data = false;
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, ms);
    s.on('data', () => { data = true; });
    s.on('error', () => undefined);
    s.on('close', () => { clearTimeout(timer); resolve(!data); });
  });
}

/** The server sees a connection a moment after the client does: retry the probe a few times. */
async function eventuallyRefused(): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await closedByServer(await open(), 250)) return true;
  }
  return false;
}

async function postEventually(): Promise<number> {
  const body = '{"deployment_id":"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"}';
  const request = `POST /snapshot HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return (await rawExchange(gw.url, request)).status;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return 0;
}

test('a third idle connection is closed at once; after one leaves, a request is served', async () => {
  const idle = [await open(), await open()];
  expect(await eventuallyRefused()).toBe(true);
  // Counted, so an operator sees the listener is full.
  const samples = parsePrometheusText((await httpCall(`${gw.adminUrl}/metrics`)).body);
  expect(sampleValue(samples, 'telegate_connections_refused_total', { reason: 'connection-limit' })).toBeGreaterThanOrEqual(1);
  idle[0]!.destroy();
  expect(await postEventually()).toBe(202);
  idle[1]!.destroy();
});
