/**
 * Only the policy's headers and telegate's body reach the vendor, whatever the instance sends, including
 * the requests that take http-proxy down other paths: `Expect: 100-continue` (which curl adds to any
 * body over 1 MiB) and HTTP/1.0 with any Expect value, where http-proxy skips the hook that writes the body.
 */
import { request } from 'node:http';
import { rawExchange } from '../helpers/raw-http';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BODY = JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11', users: [{ id: '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a12', email: 'ceo@example.com', login_type: 'oidc' }] });
const LEAKY = {
  cookie: 'session=SECRET-COOKIE',
  authorization: 'Bearer INSTANCE-TOKEN',
  'x-forwarded-for': '10.1.2.3',
  'x-internal-host': 'build-42.corp.example',
  'x-coder-version': 'v2.24.1',
};

let vendor: StandInVendor;
let gw: TestGateway;
beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url } });
});
afterAll(async () => {
  await gw.close();
  await vendor.close();
});

/** The vendor got exactly the allow-listed header and telegate's own ones, and the recorded body. */
async function expectOnlyPolicyOutput(before: number): Promise<void> {
  expect(vendor.received).toHaveLength(before + 1);
  const got = vendor.received[before]!;
  // No hop-by-hop header either: not the client's, and none of telegate's own (SPEC §2).
  expect(Object.keys(got.headers).sort()).toEqual(['content-length', 'content-type', 'host', 'x-coder-version']);
  expect(got.headers['content-type']).toBe('application/json');
  const records = egressRecords(await readAuditRecords(gw.auditDir));
  const last = records[records.length - 1]!;
  expect(last.record['decision']).toBe('forwarded');
  expect(got.body.equals(last.bodyBytes!)).toBe(true);
  expect(Number(got.headers['content-length'])).toBe(got.body.length);
  expect(got.body.toString('utf8')).not.toContain('SECRET');
}

test('Expect: 100-continue (HTTP/1.1): the client waits for 100, then only the policy\'s output leaves', async () => {
  const before = vendor.received.length;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${gw.url}/snapshot`, { method: 'POST', headers: { ...LEAKY, expect: '100-continue', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('continue', () => req.end(BODY));
    req.on('error', reject);
  });
  expect(status).toBe(202);
  await expectOnlyPolicyOutput(before);
});

test('HTTP/1.0 with an Expect header: only the policy\'s output leaves', async () => {
  const before = vendor.received.length;
  const headers = Object.entries({ ...LEAKY, expect: 'something', 'content-length': String(Buffer.byteLength(BODY)) })
    .map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const reply = await rawExchange(gw.url, `POST /snapshot HTTP/1.0\r\nhost: 127.0.0.1\r\n${headers}\r\n${BODY}`);
  expect(reply.status).toBe(202);
  await expectOnlyPolicyOutput(before);
});

test('ordinary requests with the same hostile headers: only the policy\'s output leaves', async () => {
  const before = vendor.received.length;
  const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: BODY, headers: LEAKY });
  expect(r.status).toBe(202);
  await expectOnlyPolicyOutput(before);
});
