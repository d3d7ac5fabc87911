/**
 * `listen` as a list: one process serves plain HTTP for Coder and TLS for Automatisch's intercepted name
 * side by side (README "Automatisch": no second gateway beside the first), both writing the one audit
 * chain; every listener gets the same strict framing and limits; with `workers`, every worker serves
 * every listener.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { jsonEqual } from '../../src/policy/fixture-diff';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, TEST_HASH_KEY, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { freePort, spawnGateway } from '../helpers/gateway-process';
import { httpCall } from '../helpers/http-call';
import { exactJson, packFixture } from '../helpers/pack-fixture';
import { converse } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';
import { createTestCa, issueServerCertificate } from '../helpers/test-ca';

jest.setTimeout(60_000);

const AUTOMATISCH_HOST = 'telemetry.automatisch.io';
const batch = packFixture('automatisch-sdk1-all-events');

let dir: string;
let ca: Buffer;
let certPath: string;
let keyPath: string;
let coder: StandInVendor;
let automatisch: StandInVendor;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-listeners-'));
  const authority = await createTestCa(dir);
  const server = await issueServerCertificate(authority, dir, [AUTOMATISCH_HOST]);
  ca = await readFile(authority.certPath);
  ({ certPath, keyPath } = server);
  coder = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  automatisch = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK' } });
});

afterAll(async () => {
  await coder.close();
  await automatisch.close();
  await rm(dir, { recursive: true, force: true });
});

/** POST the SDK 1.x batch to an https listener as Automatisch would after DNS interception. */
function postBatch(url: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: hostname, port, servername: AUTOMATISCH_HOST, ca, method: 'POST', path: '/v1/batch', agent: false,
      headers: { host: AUTOMATISCH_HOST, 'content-type': 'application/json', 'content-length': String(batch.input.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(batch.input);
  });
}

const listenYaml = (plainPort: number, tlsPort: number): string =>
  `listen:\n  - { host: 127.0.0.1, port: ${plainPort} }\n  - { host: 127.0.0.1, port: ${tlsPort}, tls: { cert: ${JSON.stringify(certPath)}, key: ${JSON.stringify(keyPath)} } }\n`;

describe('one process, a plain and a TLS listener', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      configYaml: `${listenYaml(0, 0)}limits: { body_bytes: 65536 }\n`,
      env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: coder.url, TELEGATE_LEVEL_AUTOMATISCH: '1', TELEGATE_UPSTREAM_AUTOMATISCH: automatisch.url },
    });
  });

  afterAll(async () => {
    await gw.close();
  });

  test('Coder over plain HTTP and Automatisch over TLS reach their vendors, recorded in the one chain', async () => {
    expect(gw.urls).toHaveLength(2);
    expect(gw.urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gw.urls[1]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const snapshot = JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-000000000001' });
    expect((await httpCall(`${gw.urls[0]}/snapshot`, { method: 'POST', body: snapshot })).status).toBe(202);
    expect(coder.received.map((r) => r.body.toString('utf8'))).toEqual([snapshot]);

    const reply = await postBatch(gw.urls[1]!);
    expect(reply).toEqual({ status: 200, body: 'OK' });
    expect(automatisch.received).toHaveLength(1);
    expect(jsonEqual(exactJson(automatisch.received[0]!.body), batch.expected(1))).toBe(true);

    const records = egressRecords(await readAuditRecords(gw.auditDir));
    expect(records.map((r) => [r.replica, r.record['vendor'], r.record['decision']])).toEqual([[null, 'coder', 'forwarded'], [null, 'automatisch', 'forwarded']]);
  });

  test('the TLS listener frames as strictly as the plain one: a batch followed by garbage is refused and not forwarded', async () => {
    const before = automatisch.received.length;
    const recordsBefore = egressRecords(await readAuditRecords(gw.auditDir)).length;
    const head = `POST /v1/batch HTTP/1.1\r\nHost: ${AUTOMATISCH_HOST}\r\nContent-Type: application/json\r\nContent-Length: ${batch.input.length}\r\n\r\n`;
    const conversation = await converse(gw.urls[1]!, [Buffer.concat([Buffer.from(head), batch.input, Buffer.from('GARBAGE\x01 not http\r\n\r\n')])], { tls: { ca, servername: AUTOMATISCH_HOST } });
    expect(conversation.replies.map((r) => [r.status, (JSON.parse(r.body) as { error: string }).error])).toEqual([[400, 'connection-error']]);
    expect(conversation.closedByServer).toBe(true);
    expect(automatisch.received).toHaveLength(before);
    const records = egressRecords(await readAuditRecords(gw.auditDir)).slice(recordsBefore);
    expect(records.map((r) => [r.record['decision'], r.record['reason']])).toEqual([['rejected', 'connection-error']]);
  });

  test('two Host lines and Transfer-Encoding: gzip, chunked are refused on the TLS listener too', async () => {
    const before = automatisch.received.length;
    for (const [request, status, code] of [
      [`POST /v1/batch HTTP/1.1\r\nHost: ${AUTOMATISCH_HOST}\r\nHost: evil.example\r\nContent-Length: 2\r\n\r\n{}`, 400, 'bad-host'],
      [`POST /v1/batch HTTP/1.1\r\nHost: ${AUTOMATISCH_HOST}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, 501, 'unsupported-transfer-coding'],
    ] as const) {
      const conversation = await converse(gw.urls[1]!, [request], { tls: { ca, servername: AUTOMATISCH_HOST } });
      expect(conversation.replies.map((r) => [r.status, (JSON.parse(r.body) as { error: string }).error])).toEqual([[status, code]]);
      expect(conversation.closedByServer).toBe(true);
    }
    expect(automatisch.received).toHaveLength(before);
  });
});

test('workers: every worker serves every listener, plain and TLS, each in its own chain', async () => {
  const own = await mkdtemp(path.join(tmpdir(), 'telegate-listeners-workers-'));
  const config = path.join(own, 'telegate.yaml');
  // The plain listener's port comes from TELEGATE_PORT (spawnGateway sets it); the TLS one is fixed here.
  const tlsPort = await freePort();
  await writeFile(config, listenYaml(0, tlsPort));
  const gw = await spawnGateway({
    TELEGATE_CONFIG: config, TELEGATE_WORKERS: '2', TELEGATE_HASH_KEY: TEST_HASH_KEY, TELEGATE_POLICIES: POLICIES,
    TELEGATE_AUDIT_DIR: path.join(own, 'audit'), TELEGATE_DATA_DIR: path.join(own, 'data'),
    TELEGATE_UPSTREAM_CODER: coder.url, TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_AUTOMATISCH: automatisch.url, TELEGATE_LEVEL_AUTOMATISCH: '1',
  });
  try {
    // node:cluster hands each new connection to the next worker, on each listener: four connections per
    // listener reach both workers.
    for (let i = 0; i < 4; i++) {
      expect((await postBatch(`https://127.0.0.1:${tlsPort}`)).status).toBe(200);
      expect((await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: JSON.stringify({ deployment_id: `0f3c5a52-8f4a-4a89-9c61-00000000000${i}` }) })).status).toBe(202);
    }
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    const records = egressRecords(await readAuditRecords(path.join(own, 'audit')));
    const byWorker = (vendor: string): string[] => [...new Set(records.filter((r) => r.record['vendor'] === vendor).map((r) => String(r.replica)))].sort();
    expect(byWorker('automatisch')).toEqual(['w1', 'w2']);
    expect(byWorker('coder')).toEqual(['w1', 'w2']);
    expect((await verifyAuditDir(path.join(own, 'audit'))).ok).toBe(true);
  } finally {
    if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL');
    await rm(own, { recursive: true, force: true });
  }
});
