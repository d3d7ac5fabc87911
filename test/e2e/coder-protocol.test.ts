/**
 * Coder's telemetry protocol through telegate, exactly as coderd/telemetry sends it: POST /deployment,
 * then POST /snapshot, `X-Coder-Version`, Go's User-Agent and Accept-Encoding, no Content-Type, and a
 * `202 Accepted` expected back. Bodies and their expected output per level are the policy pack's own
 * fixtures (written from the pack's intent), pseudonymized under the gateway's key.
 */
import { request } from 'node:http';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { parseJson } from '../../src/json/parse';
import { createPseudonymizer, type JsonValue } from '../../src/policy';
import { jsonEqual } from '../../src/policy/fixture-diff';
import { loadFixture, resolveMarkers } from '../../src/policy/fixture-runner';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, TEST_HASH_KEY, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const CODER_VERSION = 'v2.24.1+2b8e0f3';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One request as Go's net/http sends Coder's: these headers and no others. */
function coderPost(base: string, endpoint: string, body: Buffer, host?: string): Promise<Reply> {
  const url = new URL(endpoint, base);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        ...(host ? { Host: host } : {}),
        'User-Agent': 'Go-http-client/1.1',
        'Content-Length': String(body.length),
        'X-Coder-Version': CODER_VERSION,
        'Accept-Encoding': 'gzip',
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function fixture(name: string): { input: Buffer; expected: (level: 1 | 2) => JsonValue } {
  const loaded = loadFixture(path.join(POLICIES, 'tests', `${name}.test.yaml`));
  if (!loaded.ok) throw new Error(`fixture ${name} does not load`);
  const pseudonymizer = createPseudonymizer(Buffer.from(TEST_HASH_KEY, 'utf8'));
  return {
    input: Buffer.from(JSON.stringify(loaded.value.input)),
    expected: (level) => {
      const e = loaded.value.expect.get(level);
      if (e?.decision !== 'forward' || e.body === undefined) throw new Error(`fixture ${name} has no level ${level} body`);
      return resolveMarkers(e.body, pseudonymizer).body;
    },
  };
}

function json(bytes: Buffer): JsonValue {
  const parsed = parseJson(bytes, { maxDepth: 256 });
  if (!parsed.ok) throw new Error(`not JSON: ${parsed.error.detail}`);
  return parsed.value;
}

describe.each([
  { level: 1 as const, route: 'path' },
  { level: 2 as const, route: 'path' },
  { level: 1 as const, route: 'host' },
  { level: 2 as const, route: 'prefix' },
])('Coder at level $level, routed by $route', ({ level, route }) => {
  let vendor: StandInVendor;
  let gw: TestGateway;
  const deployment = fixture('coder-deployment');
  const snapshot = fixture('coder-snapshot');

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202, headers: { 'set-cookie': 'session=vendor-side' } } });
    gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: String(level), TELEGATE_UPSTREAM_CODER: `${vendor.url}/ingest` } });
  });
  afterAll(async () => {
    await gw.close();
    await vendor.close();
  });

  const send = (endpoint: string, body: Buffer): Promise<Reply> => {
    if (route === 'host') return coderPost(gw.url, endpoint, body, 'telemetry.coder.com');
    if (route === 'prefix') return coderPost(gw.url, `/coder${endpoint}`, body);
    return coderPost(gw.url, endpoint, body);
  };

  test('the instance gets 202 for /deployment then /snapshot; the vendor gets exactly the policy\'s output', async () => {
    const first = await send('/deployment', deployment.input);
    const second = await send('/snapshot', snapshot.input);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.headers['set-cookie']).toBeUndefined();

    expect(vendor.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /ingest/deployment', 'POST /ingest/snapshot']);
    expect(jsonEqual(deployment.expected(level), json(vendor.received[0]!.body))).toBe(true);
    expect(jsonEqual(snapshot.expected(level), json(vendor.received[1]!.body))).toBe(true);

    for (const r of vendor.received) {
      const names = Object.keys(r.headers).sort();
      expect(names).toEqual(['content-length', 'content-type', 'host', 'x-coder-version']);
      expect(r.headers['x-coder-version']).toBe(CODER_VERSION);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.host).toBe(new URL(vendor.url).host);
    }
  });

  test('each body the vendor received is, byte for byte, the body of a forwarded audit record; the log verifies', async () => {
    const records = egressRecords(await readAuditRecords(gw.auditDir));
    expect(records.map((r) => [r.record['endpoint'], r.record['decision'], r.record['level'], r.record['client_version']])).toEqual([
      ['/deployment', 'forwarded', level, CODER_VERSION],
      ['/snapshot', 'forwarded', level, CODER_VERSION],
    ]);
    records.forEach((r, i) => expect(r.bodyBytes!.equals(vendor.received[i]!.body)).toBe(true));
    const verified = await verifyAuditDir(gw.auditDir);
    expect(verified.ok).toBe(true);
  });
});

describe('Coder at level 0', () => {
  test('nothing reaches the vendor; the instance still gets 202 and a blocked record is written', async () => {
    const vendor = await startStandInVendor();
    const gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '0', TELEGATE_UPSTREAM_CODER: vendor.url } });
    try {
      const replies = [await coderPost(gw.url, '/deployment', fixture('coder-deployment').input), await coderPost(gw.url, '/snapshot', fixture('coder-snapshot').input)];
      expect(replies.map((r) => r.status)).toEqual([202, 202]);
      expect(vendor.received).toEqual([]);
      const records = egressRecords(await readAuditRecords(gw.auditDir));
      expect(records.map((r) => [r.record['decision'], r.record['bytes'], r.bodyBytes])).toEqual([['blocked', 0, undefined], ['blocked', 0, undefined]]);
    } finally {
      await gw.close();
      await vendor.close();
    }
  });
});
