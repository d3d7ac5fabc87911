/**
 * Shutdown as an instance and an auditor see it (SPEC §6, `telegate serve` on SIGTERM): a request already
 * forwarded when the gateway is told to stop still gets the vendor's reply, its outcome is in the audit log
 * before the closing `stop` record, and new connections are no longer accepted. A vendor that never
 * answers cannot hold the shutdown past its grace period, nor can a client stalled on the admin port.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { readAuditRecords } from '../helpers/audit-records';
import { POLICIES, startTestGateway } from '../helpers/gateway-harness';
import { eventually, httpCall, type HttpReply } from '../helpers/http-call';
import { startStandInVendor } from '../helpers/stand-in-vendor';

const snapshot = (): Promise<Buffer> => readFile(path.join(POLICIES, 'tests', 'coder-snapshot.input.json'));

function postSnapshot(gatewayUrl: string, body: Buffer): Promise<HttpReply> {
  return httpCall(`${gatewayUrl}/snapshot`, { method: 'POST', headers: { 'x-coder-version': 'v2.24.1' }, body });
}

test('a request in flight when close() is called completes with the vendor\'s status; its outcome is written before `stop`', async () => {
  // 201 and a body of its own: telegate's local reply for Coder is a bare 202, so this can only be the vendor's.
  const vendor = await startStandInVendor({ reply: { kind: 'delay', ms: 300, status: 201, body: 'vendor-accepted' } });
  const gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url } });
  try {
    const inFlight = postSnapshot(gw.url, await snapshot());
    await eventually('the request reaching the vendor', async () => vendor.received.length === 1 || undefined);

    const closed = gw.gateway.close(5_000);
    await expect(postSnapshot(gw.url, await snapshot())).rejects.toThrow();
    const reply = await inFlight;
    await closed;

    expect([reply.status, reply.body]).toEqual([201, 'vendor-accepted']);
    const records = (await readAuditRecords(gw.auditDir)).map((r) => r.record);
    const id = reply.headers['x-request-id'];
    const egress = records.findIndex((r) => r['type'] === 'egress' && r['id'] === id);
    const outcome = records.findIndex((r) => r['type'] === 'outcome' && r['id'] === id);
    expect(egress).toBeGreaterThanOrEqual(0);
    expect(outcome).toBeGreaterThan(egress);
    expect(records[outcome]!['status']).toBe(201);
    expect(records.at(-1)!['type']).toBe('stop');
    expect(records.filter((r) => r['type'] === 'stop')).toHaveLength(1);
  } finally {
    await gw.close();
    await vendor.close();
  }
});

test('a vendor that never answers does not hold close() past its grace period; the log still ends with `stop`', async () => {
  const vendor = await startStandInVendor({ reply: { kind: 'hang' } });
  const gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url } });
  try {
    const inFlight = postSnapshot(gw.url, await snapshot()).catch((error: unknown) => error);
    await eventually('the request reaching the vendor', async () => vendor.received.length === 1 || undefined);
    await gw.gateway.close(200);
    await inFlight;
    const records = (await readAuditRecords(gw.auditDir)).map((r) => r.record);
    expect(records.at(-1)!['type']).toBe('stop');
  } finally {
    await gw.close();
    await vendor.close();
  }
});

test('a client stalled half-way through a request on the admin port does not hold close() past its grace', async () => {
  const gw = await startTestGateway();
  const admin = new URL(gw.adminUrl);
  const stalled = connect(Number(admin.port), admin.hostname);
  try {
    stalled.on('error', () => undefined);
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    // Headers never finished: to the server this connection is busy, not idle, until its headers timeout.
    stalled.write('GET /metrics HTTP/1.1\r\nHost: telegate\r\n');
    // Proof the server has the connection in hand: a second request on the admin port is answered after it.
    expect((await httpCall(`${gw.adminUrl}/healthz`)).status).toBe(200);

    const bound = new Promise<'still closing'>((resolve) => setTimeout(() => resolve('still closing'), 5_000).unref());
    expect(await Promise.race([gw.gateway.close(200).then(() => 'closed' as const), bound])).toBe('closed');
  } finally {
    stalled.destroy();
    await gw.close();
  }
});
