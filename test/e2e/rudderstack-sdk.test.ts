/**
 * Automatisch's telemetry, sent by the real, unmodified RudderStack Node SDK (1.1.5, Automatisch's pin:
 * plain JSON; 3.0.13: gzip labelled application/x-www-form-urlencoded), through telegate to a stand-in
 * data plane, at levels 0, 1 and 2; then over the HTTPS interception path an enterprise deploys for
 * Automatisch, whose URL https://telemetry.automatisch.io/v1/batch is hard-coded.
 *
 * Over plain HTTP the SDK talks to a recording tap in front of telegate, so the test holds the very request
 * the SDK sent next to what the vendor received from it (message ids and timestamps differ between runs).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { verifyAuditDir } from '../../src/audit';
import type { JsonObject, JsonValue } from '../../src/json/types';
import { egressRecords, readAuditRecords, type ReadRecord } from '../helpers/audit-records';
import { writeClientDnsPreload } from '../helpers/client-dns-preload';
import { POLICIES, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { startRecordingTap, type TappedExchange } from '../helpers/recording-tap';
import {
  AUTOMATISCH_WRITE_KEY,
  EXAMPLE_HOST,
  EXAMPLE_IDENTITY,
  RUDDER_SDK_VERSIONS,
  automatischTrackCalls,
  runRudderClient,
  type RudderSdkMajor,
  type RunRudderClientResult,
} from '../helpers/rudder-capture';
import { startStandInVendor, type ReceivedRequest, type StandInVendor } from '../helpers/stand-in-vendor';
import { createTestCa, issueServerCertificate } from '../helpers/test-ca';

const CALLS = automatischTrackCalls();
const EVENTS = CALLS.map((c) => c.event);
const DELIVERED = CALLS.map((c) => ({ event: c.event, error: null }));
const AUTHORIZATION = `Basic ${Buffer.from(`${AUTOMATISCH_WRITE_KEY}:`).toString('base64')}`;
/** What must never leave at level 1 (automatisch.md, policies/automatisch.yaml) — the originals as the instance sent them. */
const SECRETS = [
  EXAMPLE_IDENTITY.organizationId,
  EXAMPLE_IDENTITY.instanceId,
  EXAMPLE_HOST.operatingSystem.version,
  ...CALLS.map((c) => c.properties['name']).filter((n): n is string => typeof n === 'string'),
];
/** SPEC §3: a pseudonymized UUID keeps the UUID layout, as version 8. */
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HEX = /^[0-9a-f]+$/;
const ROW_IDS = ['flowId', 'stepId', 'executionId', 'executionStepId', 'connectionId', 'instanceId'];
const AUTOMATISCH_HOST = 'telemetry.automatisch.io';

// --- reading bodies ---------------------------------------------------------------------------------------

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(bytes: Buffer): JsonObject {
  const value = JSON.parse(bytes.toString('utf8')) as JsonValue;
  if (!isObject(value)) throw new Error(`not a JSON object: ${bytes.toString('utf8').slice(0, 200)}`);
  return value;
}

/** The batch the SDK sent, decoded as a data plane would: gzip by header or magic bytes, never by content type. */
function sentBody(exchange: TappedExchange): JsonObject {
  const raw = exchange.request.body;
  const gzip = exchange.request.headers['content-encoding'] === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b);
  return parseObject(gzip ? gunzipSync(raw) : raw);
}

function messages(body: JsonObject): JsonObject[] {
  const batch = body['batch'];
  if (!Array.isArray(batch)) throw new Error('no batch array');
  return batch.filter(isObject);
}

const eventsOf = (body: JsonObject): string => messages(body).map((m) => String(m['event'])).join(',');

function props(message: JsonObject): JsonObject {
  const p = message['properties'];
  if (!isObject(p)) throw new Error(`message ${String(message['event'])} without properties`);
  return p;
}

async function auditFilesText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(names.filter((d) => d.isFile()).map((d) => readFile(path.join(d.parentPath, d.name), 'utf8')));
  return texts.join('\n');
}

/** Each vendor body is, byte for byte, one forwarded record's body, and each forwarded body reached the vendor. */
function expectSameBodies(received: readonly ReceivedRequest[], forwarded: readonly ReadRecord[]): void {
  const sort = (bodies: Buffer[]): Buffer[] => bodies.sort(Buffer.compare);
  const audited = sort(forwarded.map((r) => r.bodyBytes ?? Buffer.alloc(0)));
  const sent = sort(received.map((r) => r.body));
  expect(sent.length).toBe(audited.length);
  sent.forEach((body, i) => expect(body.equals(audited[i]!)).toBe(true));
}

/** The headers telegate sends: the policy's Authorization and its own Content-Type, nothing of the SDK's. */
function expectVendorHeaders(received: readonly ReceivedRequest[]): void {
  for (const r of received) {
    expect(`${r.method} ${r.url}`).toBe('POST /v1/batch');
    expect(r.headers.authorization).toBe(AUTHORIZATION);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBeUndefined();
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(Object.keys(r.headers).sort()).toEqual(['authorization', 'content-length', 'content-type', 'host']);
  }
}

/** Level 1 must not carry the originals anywhere: not to the vendor, not into the audit log, not into telegate's log. */
function expectNoSecrets(where: string, text: string): void {
  for (const secret of SECRETS) expect({ where, contains: secret, found: text.includes(secret) }).toEqual({ where, contains: secret, found: false });
}

/**
 * Level 1 output against what the SDK sent: every event kept in order, row and instance ids replaced by
 * UUID-shaped pseudonyms that still join (one original, one pseudonym; distinct originals stay distinct),
 * the organization id and message ids replaced, flow names and the kernel build string gone.
 */
function expectPseudonymized(pairs: ReadonlyArray<{ sent: JsonObject; vendor: JsonObject }>): void {
  const pseudonymOf = new Map<string, Set<string>>();
  const note = (original: string, pseudonym: string): void => {
    const set = pseudonymOf.get(original) ?? new Set<string>();
    set.add(pseudonym);
    pseudonymOf.set(original, set);
  };
  for (const { sent, vendor } of pairs) {
    const inMessages = messages(sent);
    const outMessages = messages(vendor);
    expect(outMessages.map((m) => m['event'])).toEqual(inMessages.map((m) => m['event']));
    inMessages.forEach((input, i) => {
      const output = outMessages[i]!;
      const inProps = props(input);
      const outProps = props(output);
      for (const key of ROW_IDS.filter((k) => typeof inProps[k] === 'string')) {
        const pseudonym = String(outProps[key]);
        expect(pseudonym).toMatch(UUID_V8);
        expect(pseudonym).not.toBe(inProps[key]);
        note(String(inProps[key]), pseudonym);
      }
      expect(String(output['userId'])).toMatch(HEX);
      expect(output['userId']).not.toBe(input['userId']);
      note(String(input['userId']), String(output['userId']));
      expect(output['messageId']).not.toBe(input['messageId']);
      expect(JSON.stringify(vendor)).not.toContain(String(input['messageId']));
      expect(outProps).not.toHaveProperty('name');
      if (input['event'] === 'diagnosticInfo') {
        expect(outProps['operatingSystem']).toEqual({ type: EXAMPLE_HOST.operatingSystem.type });
        expect(outProps['cpus']).toEqual(inProps['cpus']);
      }
    });
  }
  for (const [original, set] of pseudonymOf) expect({ original, pseudonyms: set.size }).toEqual({ original, pseudonyms: 1 });
  const all = [...pseudonymOf.values()].map((s) => [...s][0]);
  expect(new Set(all).size).toBe(all.length);
}

// --- plain HTTP, through the tap --------------------------------------------------------------------------

interface Observed {
  run: RunRudderClientResult;
  exchanges: TappedExchange[];
  received: ReceivedRequest[];
  records: ReadRecord[];
  auditText: string;
  logText: string;
  verified: Awaited<ReturnType<typeof verifyAuditDir>>;
}

/** One SDK run through a fresh gateway at `level`; everything is read back after the gateway has stopped. */
async function throughGateway(version: RudderSdkMajor, level: 0 | 1 | 2): Promise<Observed> {
  const dir = await mkdtemp(path.join(tmpdir(), 'telegate-rudder-e2e-'));
  // The real data plane answers 200 "OK"; the SDK ignores the body.
  const vendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK', headers: { 'content-type': 'text/plain; charset=utf-8' } } });
  let gw: TestGateway | undefined;
  try {
    gw = await startTestGateway({ dir, env: { TELEGATE_LEVEL_AUTOMATISCH: String(level), TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url } });
    const tap = await startRecordingTap(gw.url);
    const run = await runRudderClient({ version, url: tap.url, events: CALLS });
    await tap.close();
    await gw.close();
    const records = egressRecords(await readAuditRecords(gw.auditDir));
    return {
      run, exchanges: tap.exchanges, received: vendor.received.slice(), records,
      auditText: await auditFilesText(gw.auditDir), logText: gw.logLines.join('\n'), verified: await verifyAuditDir(gw.auditDir),
    };
  } finally {
    await gw?.close();
    await vendor.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe.each([1, 3] as const)('RudderStack SDK %i.x (Automatisch\'s events) through telegate', (version) => {
  const sdk = `analytics-node/${RUDDER_SDK_VERSIONS[version]}`;

  describe('level 0', () => {
    let seen: Observed;
    beforeAll(async () => { seen = await throughGateway(version, 0); });

    test('every track() is delivered as far as the SDK can tell: 200 "OK", exit 0', () => {
      expect(seen.run).toMatchObject({ exitCode: 0, timedOut: false, results: DELIVERED });
      expect(seen.exchanges.length).toBeGreaterThan(0);
      for (const { reply } of seen.exchanges) {
        expect(reply?.status).toBe(200);
        expect(reply?.body.toString('utf8')).toBe('OK');
      }
    });

    test('nothing reaches the vendor; one blocked record per request, without a body; the log verifies', () => {
      expect(seen.received).toEqual([]);
      expect(seen.records.map((r) => [r.record['vendor'], r.record['endpoint'], r.record['decision'], r.record['level'], r.bodyBytes]))
        .toEqual(seen.exchanges.map(() => ['automatisch', '/v1/batch', 'blocked', 0, undefined]));
      expect(seen.verified.ok).toBe(true);
    });
  });

  describe('level 2', () => {
    let seen: Observed;
    beforeAll(async () => { seen = await throughGateway(version, 2); });

    test('delivered: exit 0, every callback without error, the vendor\'s 200 "OK" relayed', () => {
      expect(seen.run).toMatchObject({ exitCode: 0, timedOut: false, results: DELIVERED });
      for (const { reply } of seen.exchanges) expect([reply?.status, reply?.body.toString('utf8')]).toEqual([200, 'OK']);
    });

    test('the tap sees the SDK\'s own request: its User-Agent, and for 3.x gzip under a form content type', () => {
      // Guards the header assertions below: what the vendor lacks, the SDK did send to telegate.
      expect(seen.exchanges.length).toBeGreaterThan(0);
      for (const { request } of seen.exchanges) {
        expect(request.headers['user-agent']).toBe(sdk);
        expect(request.headers.authorization).toBe(AUTHORIZATION);
        if (version === 3) {
          expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
          expect(request.headers['content-encoding']).toBe('gzip');
        } else {
          expect(request.headers['content-type']).toBe('application/json');
          expect(request.headers['content-encoding']).toBeUndefined();
        }
      }
    });

    test('the vendor receives exactly the batches the SDK sent, as JSON, with the write key and no SDK headers', () => {
      const byFirstMessage = (bodies: JsonObject[]): JsonObject[] =>
        bodies.sort((a, b) => String(messages(a)[0]?.['messageId']).localeCompare(String(messages(b)[0]?.['messageId'])));
      const sent = byFirstMessage(seen.exchanges.map(sentBody));
      const vendor = byFirstMessage(seen.received.map((r) => parseObject(r.body)));
      expect(vendor).toEqual(sent);
      expect(sent.flatMap(messages).map((m) => m['event']).sort()).toEqual([...EVENTS].sort());
      expectVendorHeaders(seen.received);
    });

    test('each vendor body is, byte for byte, a forwarded record\'s body; the log verifies', () => {
      expect(seen.records.map((r) => [r.record['decision'], r.record['level'], r.record['client_version']]))
        .toEqual(seen.exchanges.map(() => ['forwarded', 2, sdk]));
      expectSameBodies(seen.received, seen.records);
      expect(seen.verified.ok).toBe(true);
      expect(seen.verified.chains.every((c) => c.stopped)).toBe(true);
    });
  });

  describe('level 1', () => {
    let seen: Observed;
    beforeAll(async () => { seen = await throughGateway(version, 1); });

    test('delivered: exit 0, every callback without error', () => {
      expect(seen.run).toMatchObject({ exitCode: 0, timedOut: false, results: DELIVERED });
      for (const { reply } of seen.exchanges) expect([reply?.status, reply?.body.toString('utf8')]).toEqual([200, 'OK']);
    });

    test('every event is kept; ids are joinable UUID pseudonyms; no organization id, instance id, flow name or OS version', () => {
      const vendorBodies = seen.received.map((r) => parseObject(r.body));
      const sentBodies = seen.exchanges.map(sentBody);
      expect(vendorBodies.flatMap(messages).map((m) => m['event']).sort()).toEqual([...EVENTS].sort());
      // The SDK's batches differ in their event sequence (1.x: the first call alone, then the rest), which pairs them.
      const pairs = vendorBodies.map((vendor) => {
        const sent = sentBodies.filter((s) => eventsOf(s) === eventsOf(vendor));
        expect(sent).toHaveLength(1);
        return { sent: sent[0]!, vendor };
      });
      expectPseudonymized(pairs);
      for (const r of seen.received) expectNoSecrets('vendor body', r.body.toString('utf8'));
      expectVendorHeaders(seen.received);
    });

    test('the audit files and telegate\'s log hold no original either; vendor bodies equal forwarded records; the log verifies', () => {
      expectNoSecrets('audit files', seen.auditText);
      expectNoSecrets('telegate log', seen.logText);
      expect(seen.records.map((r) => [r.record['decision'], r.record['level']])).toEqual(seen.exchanges.map(() => ['forwarded', 1]));
      expectSameBodies(seen.received, seen.records);
      expect(seen.verified.ok).toBe(true);
    });
  });
});

// --- HTTPS interception, as an enterprise deploys it for Automatisch ---------------------------------------

describe('DNS interception of https://telemetry.automatisch.io with the enterprise\'s CA', () => {
  let dir: string;
  let caPath: string;
  let preload: string;
  let vendor: StandInVendor;
  /** A second pack also declares /v1/batch (the Mation build's copy), so only the Host header can route. */
  let mationVendor: StandInVendor;
  let gw: TestGateway;
  let port: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'telegate-rudder-tls-'));
    const ca = await createTestCa(dir);
    caPath = ca.certPath;
    const server = await issueServerCertificate(ca, dir, [AUTOMATISCH_HOST]);
    preload = await writeClientDnsPreload(dir, [AUTOMATISCH_HOST]);

    const policies = path.join(dir, 'policies');
    await mkdir(policies);
    const pack = await readFile(path.join(POLICIES, 'automatisch.yaml'), 'utf8');
    await writeFile(path.join(policies, 'automatisch.yaml'), pack);
    const mation = pack
      .replace(/^vendor: automatisch$/m, 'vendor: mation')
      .replace(/^upstream: https:\/\/telemetry\.automatisch\.io$/m, 'upstream: https://telemetry.mation.work')
      .replace(/^hosts: \[telemetry\.automatisch\.io\]$/m, 'hosts: [telemetry.mation.work]');
    expect(mation.match(/^(vendor: mation|upstream: https:\/\/telemetry\.mation\.work|hosts: \[telemetry\.mation\.work\])$/gm)).toHaveLength(3);
    await writeFile(path.join(policies, 'mation.yaml'), mation);

    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK' } });
    mationVendor = await startStandInVendor({ reply: { kind: 'reply', status: 200, body: 'OK' } });
    gw = await startTestGateway({
      dir,
      policies,
      configYaml: `listen:\n  tls:\n    cert: ${JSON.stringify(server.certPath)}\n    key: ${JSON.stringify(server.keyPath)}\n`,
      env: {
        TELEGATE_LEVEL_AUTOMATISCH: '1',
        TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url,
        TELEGATE_LEVEL_MATION: '2',
        TELEGATE_UPSTREAM_MATION: mationVendor.url,
      },
    });
    port = new URL(gw.url).port;
  });

  afterAll(async () => {
    await gw?.close();
    await vendor?.close();
    await mationVendor?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The SDK's URL keeps Automatisch's host name; the port is the test gateway's (in production telegate
  // listens on 443 and the URL is exactly https://telemetry.automatisch.io/v1/batch). 1.x posts to
  // `${url}/v1/batch` verbatim, 3.x appends /v1/batch to it as its dataPlaneUrl: the same request either way.
  const automatischUrl = (): string => `https://${AUTOMATISCH_HOST}:${port}`;
  const runClient = (version: RudderSdkMajor, trustCa: boolean): Promise<RunRudderClientResult> => runRudderClient({
    version,
    url: automatischUrl(),
    events: CALLS,
    nodeArgs: ['--require', preload],
    ...(trustCa ? { env: { NODE_EXTRA_CA_CERTS: caPath } } : {}),
  });

  test('telegate serves https, and the path alone does not route: /v1/batch is declared by two packs', async () => {
    expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(caPath);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port, servername: AUTOMATISCH_HOST, ca, method: 'POST', path: '/v1/batch',
        headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end('{"batch":[]}');
    });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'not-found' });
  });

  test.each([1, 3] as const)('SDK %i.x trusting the CA delivers; the vendor gets the level 1 batch, routed by Host', async (version) => {
    const before = vendor.received.length;
    const run = await runClient(version, true);
    expect(run).toMatchObject({ exitCode: 0, timedOut: false, results: DELIVERED });

    const received = vendor.received.slice(before);
    expect(received.length).toBeGreaterThan(0);
    expectVendorHeaders(received);
    const bodies = received.map((r) => parseObject(r.body));
    expect(bodies.flatMap(messages).map((m) => m['event']).sort()).toEqual([...EVENTS].sort());
    for (const message of bodies.flatMap(messages)) {
      expect(message['context']).toEqual({ library: { name: 'analytics-node', version: RUDDER_SDK_VERSIONS[version] } });
      expect(String(props(message)['instanceId'])).toMatch(UUID_V8);
    }
    for (const r of received) expectNoSecrets('vendor body', r.body.toString('utf8'));
    expect(mationVendor.received).toEqual([]);

    const records = egressRecords(await readAuditRecords(gw.auditDir)).filter((r) => r.record['client_version'] === `analytics-node/${RUDDER_SDK_VERSIONS[version]}`);
    expect(records.map((r) => [r.record['vendor'], r.record['endpoint'], r.record['decision'], r.record['level']]))
      .toEqual(received.map(() => ['automatisch', '/v1/batch', 'forwarded', 1]));
    expectSameBodies(received, records);
  });

  test.each([1, 3] as const)('SDK %i.x without NODE_EXTRA_CA_CERTS refuses telegate\'s certificate: not delivered, nothing reaches the vendor', async (version) => {
    const vendorBefore = vendor.received.length;
    const recordsBefore = egressRecords(await readAuditRecords(gw.auditDir)).length;
    const run = await runClient(version, false);
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).not.toBe(0);
    expect(run.results?.map((r) => r.event)).toEqual(EVENTS);
    for (const result of run.results ?? []) expect(result.error).toMatch(/certificate/i);
    expect(vendor.received.length).toBe(vendorBefore);
    expect(mationVendor.received).toEqual([]);
    // The TLS handshake failed, so no HTTP request ever reached telegate: no record either.
    expect(egressRecords(await readAuditRecords(gw.auditDir))).toHaveLength(recordsBefore);
  });

  test('after the gateway stops, the audit log verifies and holds no original identifier', async () => {
    await gw.close();
    const verified = await verifyAuditDir(gw.auditDir);
    expect(verified.ok).toBe(true);
    expect(verified.chains.every((c) => c.stopped)).toBe(true);
    expectNoSecrets('audit files', await auditFilesText(gw.auditDir));
  });
});
