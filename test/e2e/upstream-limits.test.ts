/**
 * A vendor cannot hold telegate or the instance by trickling: the reply head must arrive within
 * upstream.timeout_ms even if bytes keep coming (504, outcome upstream-timeout), and a reply larger
 * than any vendor sends is cut off (outcome upstream-reset) rather than relayed without bound.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { eventually } from '../helpers/http-call';

const BODY = '{"deployment_id":"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"}';

/** A raw TCP "vendor" that reads the request and then runs `answer` on the socket. */
async function rawVendor(answer: (socket: Socket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function outcomeOf(gw: TestGateway): Promise<Record<string, unknown>> {
  return eventually('the outcome record', async () =>
    (await readAuditRecords(gw.auditDir)).map((r) => r.record).find((r) => r['type'] === 'outcome'));
}

test('a vendor trickling its reply head byte by byte still gets 504 after upstream.timeout_ms', async () => {
  const head = 'HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n';
  const vendor = await rawVendor((socket) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= head.length) return clearInterval(timer);
      socket.write(head[i++]!);
    }, 50);
    socket.on('close', () => clearInterval(timer));
  });
  const gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url }, configYaml: 'upstream: { timeout_ms: 300 }\n' });
  try {
    const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: BODY });
    expect(r.status).toBe(504);
    expect(await r.json()).toMatchObject({ error: 'upstream-timeout' });
    expect(await outcomeOf(gw)).toMatchObject({ error: 'upstream-timeout' });
  } finally {
    await gw.close();
    await vendor.close();
  }
});

test('a vendor reply larger than 1 MiB is cut off; the outcome says so', async () => {
  const vendor = await rawVendor((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4194304\r\n\r\n');
    socket.write(Buffer.alloc(4 * 1024 * 1024, 0x61));
  });
  const gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url } });
  try {
    let received = -1;
    try {
      const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: BODY });
      received = (await r.arrayBuffer()).byteLength;
    } catch {
      // the connection was cut mid-body: what this test expects
    }
    // The instance never gets the whole reply: the connection is cut.
    expect(received).toBeLessThan(4 * 1024 * 1024);
    expect(await outcomeOf(gw)).toMatchObject({ status: 200, error: 'upstream-reset' });
  } finally {
    await gw.close();
    await vendor.close();
  }
});
