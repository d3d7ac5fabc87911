/**
 * Issue 3's failure cases on the way out: the audit disk failing, and a vendor that is down, slow,
 * broken, redirecting, setting cookies or resetting mid-reply. telegate fails closed (nothing leaves
 * without a durable record), tells the instance why in the usual `{"error","detail"}` body, records the
 * upstream outcome next to the egress record, and keeps serving once the fault is gone.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { verifyAuditDir } from '../../src/audit';
import { readAuditRecords } from '../helpers/audit-records';
import { failingDisk } from '../helpers/failing-disk';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { eventually, httpCall, jsonOf, type HttpReply } from '../helpers/http-call';
import { egressRecordOf, expectRefusal, expectStillServing, requestIdOf } from '../helpers/refusal-checks';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const TIMEOUT_MS = 300;
const CONFIG = `upstream: { timeout_ms: ${TIMEOUT_MS} }\n`;

const snapshot = (): string => JSON.stringify({ deployment_id: randomUUID() });
const post = (url: string, body: string): Promise<HttpReply> =>
  httpCall(`${url}/snapshot`, { method: 'POST', body, headers: { 'x-coder-version': 'v2.24.1' } });

/** The outcome record of request `id`, once the gateway has written it (it follows the reply). */
async function outcomeOf(auditDir: string, id: string): Promise<Record<string, unknown>> {
  return eventually(`outcome record of ${id}`, async () =>
    (await readAuditRecords(auditDir)).map((r) => r.record).find((r) => r['type'] === 'outcome' && r['id'] === id));
}

describe('the audit log cannot be written', () => {
  let vendor: StandInVendor;
  let gw: TestGateway;
  const disk = failingDisk();

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url }, configYaml: CONFIG, auditSeams: { fileOps: disk.ops } });
  });
  afterAll(async () => {
    disk.failing = false;
    await gw.close();
    await vendor.close();
  });

  test('503 audit-unavailable and nothing forwarded; /readyz turns 503; both recover with the disk; the log stays whole', async () => {
    const first = await post(gw.url, snapshot());
    expect(first.status).toBe(202);
    await outcomeOf(gw.auditDir, requestIdOf(first));
    expect((await httpCall(`${gw.adminUrl}/readyz`)).status).toBe(200);

    disk.failing = true;
    const before = vendor.received.length;
    const refused = await post(gw.url, snapshot());
    expectRefusal(refused, 503, 'audit-unavailable');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(vendor.received.length).toBe(before);

    const notReady = await httpCall(`${gw.adminUrl}/readyz`);
    expect(notReady.status).toBe(503);
    expect(jsonOf(notReady)).toMatchObject({ ready: false, audit: { writable: false } });

    // A bad body is still refused for what it is while the log is down: the refusal never depends on the disk.
    const bad = await post(gw.url, '{"deployment_id":');
    expectRefusal(bad, 400, 'invalid-json');
    expect(vendor.received.length).toBe(before);

    disk.failing = false;
    await expectStillServing(gw.url, vendor);
    expect((await httpCall(`${gw.adminUrl}/readyz`)).status).toBe(200);

    // What the failed writes left was cut off: no record of the refused request, and the chain verifies.
    expect(await egressRecordOf(gw.auditDir, requestIdOf(refused))).toBeUndefined();
    expect((await verifyAuditDir(gw.auditDir)).ok).toBe(true);
  });
});

describe('the audit log cannot be written at level 0', () => {
  test('the instance still gets the vendor\'s normal reply (nothing leaves either way), and /readyz says the log is down', async () => {
    const vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    let gw: TestGateway | undefined;
    try {
      // The writer's own start record must be durable, so the disk fails only once the gateway runs.
      const disk = failingDisk();
      gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '0', TELEGATE_UPSTREAM_CODER: vendor.url }, configYaml: CONFIG, auditSeams: { fileOps: disk.ops } });
      disk.failing = true;
      const reply = await post(gw.url, snapshot());
      expect(reply.status).toBe(202);
      expect(vendor.received).toEqual([]);
      expect((await httpCall(`${gw.adminUrl}/readyz`)).status).toBe(503);
      expect(gw.logLines.join('\n')).toMatch(/blocked record not written/);
    } finally {
      await gw?.close().catch(() => undefined);
      await vendor.close();
    }
  });
});

describe('the vendor misbehaves', () => {
  let vendor: StandInVendor;
  let gw: TestGateway;

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url }, configYaml: CONFIG });
  });
  afterEach(() => vendor.behave({ kind: 'reply', status: 202 }));
  afterAll(async () => {
    await gw.close();
    await vendor.close();
  });

  /** The request left (forwarded record, the vendor got telegate's bytes); returns its id. */
  async function expectForwarded(reply: { headers: HttpReply['headers'] }, body: string, before: number): Promise<string> {
    const id = requestIdOf({ status: 0, headers: reply.headers, body: '' });
    expect((await egressRecordOf(gw.auditDir, id))?.['decision']).toBe('forwarded');
    expect(vendor.received.length).toBe(before + 1);
    expect(vendor.received[before]?.body.toString('utf8')).toBe(body);
    return id;
  }

  test(`a vendor that never answers: 504 upstream-timeout after upstream.timeout_ms, outcome says so`, async () => {
    vendor.behave({ kind: 'hang' });
    const body = snapshot();
    const before = vendor.received.length;
    const reply = await post(gw.url, body);
    expectRefusal(reply, 504, 'upstream-timeout');
    const id = await expectForwarded(reply, body, before);
    const outcome = await outcomeOf(gw.auditDir, id);
    expect(outcome['error']).toBe('upstream-timeout');
    expect(outcome).not.toHaveProperty('status');
    expect(outcome['ms']).toEqual(expect.any(Number));
    vendor.behave({ kind: 'reply', status: 202 });
    await expectStillServing(gw.url, vendor);
  });

  test('a vendor 500 is relayed as 500 with its body; outcome status 500', async () => {
    vendor.behave({ kind: 'reply', status: 500, body: '{"message":"database is down"}', headers: { 'content-type': 'application/json' } });
    const body = snapshot();
    const before = vendor.received.length;
    const reply = await post(gw.url, body);
    expect(reply.status).toBe(500);
    expect(reply.body).toBe('{"message":"database is down"}');
    const id = await expectForwarded(reply, body, before);
    expect(await outcomeOf(gw.auditDir, id)).toMatchObject({ status: 500 });
    vendor.behave({ kind: 'reply', status: 202 });
    await expectStillServing(gw.url, vendor);
  });

  test.each([301, 302, 307, 308])('a vendor %i redirect: 502 upstream-redirect, the Location is not relayed or followed', async (status) => {
    vendor.behave({ kind: 'reply', status, headers: { location: 'http://evil.example/collect' } });
    const body = snapshot();
    const before = vendor.received.length;
    const reply = await post(gw.url, body);
    expectRefusal(reply, 502, 'upstream-redirect');
    expect(reply.headers['location']).toBeUndefined();
    const id = await expectForwarded(reply, body, before);
    expect(await outcomeOf(gw.auditDir, id)).toMatchObject({ status });
    vendor.behave({ kind: 'reply', status: 202 });
    await expectStillServing(gw.url, vendor);
  });

  test('a vendor\'s Set-Cookie and internal headers are not relayed; Retry-After is', async () => {
    vendor.behave({
      kind: 'reply', status: 202,
      headers: { 'set-cookie': ['session=vendor-side; HttpOnly', 'tracker=1'], 'x-internal-host': 'ingest-7.vendor.internal', 'retry-after': '120' },
    });
    const reply = await post(gw.url, snapshot());
    expect(reply.status).toBe(202);
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(reply.headers['x-internal-host']).toBeUndefined();
    expect(reply.headers['retry-after']).toBe('120');
  });

  test('a vendor that resets the connection before answering: 502 upstream-unreachable, outcome error', async () => {
    vendor.behave({ kind: 'reset' });
    const body = snapshot();
    const before = vendor.received.length;
    const reply = await post(gw.url, body);
    expectRefusal(reply, 502, 'upstream-unreachable');
    const id = await expectForwarded(reply, body, before);
    expect((await outcomeOf(gw.auditDir, id))['error']).toBe('upstream-unreachable');
    vendor.behave({ kind: 'reply', status: 202 });
    await expectStillServing(gw.url, vendor);
  });

  test('a vendor that resets mid-reply: the instance sees the reply cut short, never a complete one; outcome upstream-reset', async () => {
    vendor.behave({ kind: 'reset-mid-reply' });
    const body = snapshot();
    const before = vendor.received.length;
    const seen = await new Promise<{ status: number; headers: HttpReply['headers']; complete: boolean; received: string }>((resolve, reject) => {
      const req = request(`${gw.url}/snapshot`, { method: 'POST', agent: false, headers: { 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let received = '';
        const done = (complete: boolean): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, complete, received });
        res.setEncoding('utf8');
        res.on('data', (c: string) => { received += c; });
        res.on('end', () => done(res.complete));
        res.on('error', () => done(false));
        res.on('aborted', () => done(false));
      });
      req.on('error', reject);
      req.end(body);
    });
    // The vendor's 200 head was already relayed when it broke off; the body is incomplete, never padded.
    expect(seen.complete).toBe(false);
    expect(seen.received.length).toBeLessThan(100);
    const id = await expectForwarded(seen, body, before);
    expect((await outcomeOf(gw.auditDir, id))['error']).toBe('upstream-reset');
    vendor.behave({ kind: 'reply', status: 202 });
    await expectStillServing(gw.url, vendor);
  });
});

describe('the vendor is down', () => {
  test('a closed port: 502 upstream-unreachable with an outcome error; once the vendor is back, requests flow again', async () => {
    // A port the OS never hands out to listen(0) when we may bind it ourselves (root, as in CI): a freed
    // ephemeral port can be taken by another test file's server in the meantime.
    let port = 1023;
    if (process.getuid?.() !== 0) {
      const gone = await startStandInVendor();
      port = Number(new URL(gone.url).port);
      await gone.close();
    }
    const goneUrl = `http://127.0.0.1:${port}`;
    const gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: goneUrl }, configYaml: CONFIG });
    let back: StandInVendor | undefined;
    try {
      const reply = await post(gw.url, snapshot());
      expectRefusal(reply, 502, 'upstream-unreachable');
      const id = requestIdOf(reply);
      expect((await egressRecordOf(gw.auditDir, id))?.['decision']).toBe('forwarded');
      const outcome = await outcomeOf(gw.auditDir, id);
      expect(outcome['error']).toBe('upstream-unreachable');
      expect(outcome).not.toHaveProperty('status');

      back = await startStandInVendor({ port, reply: { kind: 'reply', status: 202 } });
      await expectStillServing(gw.url, back);
    } finally {
      await gw.close();
      await back?.close();
    }
  });
});
