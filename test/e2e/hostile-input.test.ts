/**
 * Hostile and broken request bodies (issue 3's failure cases, issue 7's hostile-input catalog), sent to
 * a real gateway on 127.0.0.1 with small limits. For every refusal the instance gets the status and a
 * `{"error","detail"}` body, nothing reaches the stand-in vendor, the audit log holds a `rejected`
 * record with the reason, and the very next good request is still forwarded. For bodies that pass,
 * what the vendor receives is telegate's own serialization: exact numbers, one member per key, no
 * prototype tricks.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as zlib from 'node:zlib';
import { distinctUnknownKeys, emptyObjects, hugeString, longInteger, type HostileBody } from '../../bench/hostile-bodies';
import { generateCoderSnapshot } from '../../bench/coder-snapshot-generator';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall, type HttpReply } from '../helpers/http-call';
import { keyTag } from '../helpers/key-tag';
import { openSocket, rawExchange, readReply } from '../helpers/raw-http';
import { egressRecordOf, expectRefusal, expectRejectedRecord, expectStillServing, requestIdOf } from '../helpers/refusal-checks';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BODY_BYTES = 4096;
const INFLATED_BYTES = 65_536;
const DEPTH = 16;

/** A vendor that names JavaScript's prototype keys as fields: they must pass as plain data, nothing more. */
const PROBE_POLICY = `vendor: probe
description: test vendor whose fields are named like JavaScript prototype members
upstream: https://telemetry.probe.example
hosts: [telemetry.probe.example]
headers: []
endpoints:
  /ingest:
    method: POST
    local_reply: { status: 202 }
    fields:
      '"__proto__".named': allow
      constructor.named:   allow
      kept:                allow
  /small:
    method: POST
    local_reply: { status: 202 }
    limits: { body_bytes: 256, inflated_bytes: 512, values: 8, depth: 2 }
    fields:
      kept: allow
`;

let vendor: StandInVendor;
let gw: TestGateway;
let policies: string;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  policies = await mkdtemp(path.join(tmpdir(), 'telegate-hostile-policies-'));
  await copyFile(path.join(POLICIES, 'coder.yaml'), path.join(policies, 'coder.yaml'));
  await writeFile(path.join(policies, 'probe.yaml'), PROBE_POLICY);
  gw = await startTestGateway({
    policies,
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_PROBE: '2', TELEGATE_UPSTREAM_PROBE: `${vendor.url}/probe` },
    configYaml: `limits: { body_bytes: ${BODY_BYTES}, inflated_bytes: ${INFLATED_BYTES}, depth: ${DEPTH} }\nupstream: { timeout_ms: 300 }\n`,
  });
});

afterAll(async () => {
  await gw.close();
  await vendor.close();
  await rm(policies, { recursive: true, force: true });
});

function post(body: Buffer | string, headers: Record<string, string> = {}, endpoint = '/snapshot'): Promise<HttpReply> {
  return httpCall(`${gw.url}${endpoint}`, { method: 'POST', body, headers: { 'x-coder-version': 'v2.24.1', ...headers } });
}

/** The whole refusal contract for one request; `send` performs it. */
async function expectRefused(send: () => Promise<HttpReply>, status: number, code: string): Promise<void> {
  const before = vendor.received.length;
  const reply = await send();
  expectRefusal(reply, status, code);
  expect(vendor.received.length).toBe(before);
  await expectRejectedRecord(gw.auditDir, reply, code);
  await expectStillServing(gw.url, vendor);
}

const uuid = (): string => randomUUID();
/** A valid snapshot whose one string holds `size` bytes: JSON, so only the limits can refuse it. */
const bigSnapshot = (size: number): Buffer => Buffer.from(`{"deployment_id":"${'a'.repeat(size)}"}`);
const nested = (levels: number): string => `{"deployment_id":"${uuid()}","extra":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('bodies that are not a JSON object are refused, nothing forwarded', () => {
  test.each([
    ['form data, not JSON', 400, 'invalid-json', 'deployment_id=0f3c5a52&users=1'],
    ['truncated JSON', 400, 'invalid-json', '{"deployment_id": "0f3c5a52-8f4a-4a89-9c61'],
    ['an empty body', 400, 'invalid-json', ''],
    ['JSON with a trailing second value', 400, 'invalid-json', '{"deployment_id":"x"} {"users":[]}'],
    ['an array at the root', 422, 'not-an-object', '[{"deployment_id":"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"}]'],
    ['a string at the root', 422, 'not-an-object', '"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"'],
    ['null at the root', 422, 'not-an-object', 'null'],
  ])('%s: %i %s', async (_name, status, code, body) => {
    await expectRefused(() => post(body), status, code);
  });

  test.each([
    ['a lone 0xff byte', Buffer.from([0xff])],
    ['an overlong encoding of "/" (0xc0 0xaf)', Buffer.from([0xc0, 0xaf])],
    ['a UTF-16 surrogate encoded in UTF-8 (0xed 0xa0 0x80)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a multi-byte sequence cut short (0xe2 0x82)', Buffer.from([0xe2, 0x82])],
  ])('invalid UTF-8 inside a string, %s: 400 not-utf8 (never replaced by U+FFFD and sent on)', async (_name, bad) => {
    const body = Buffer.concat([Buffer.from('{"deployment_id":"'), bad, Buffer.from('"}')]);
    await expectRefused(() => post(body), 400, 'not-utf8');
  });
});

describe('limits.body_bytes: the raw body as received', () => {
  test('a declared Content-Length over the limit is refused before the body is sent: 413 body-too-large', async () => {
    await expectRefused(async () => {
      // Only the head goes out: the gateway must answer on the declaration alone, without waiting for a byte.
      const socket = await openSocket(gw.url);
      try {
        const reply = readReply(socket);
        socket.write(`POST /snapshot HTTP/1.1\r\nHost: ${new URL(gw.url).host}\r\nContent-Length: 10000000\r\n\r\n`);
        const raw = await reply;
        return { status: raw.status, headers: raw.headers, body: raw.body };
      } finally {
        socket.destroy();
      }
    }, 413, 'body-too-large');
  });

  test('a chunked body without any length that grows past the limit: 413 body-too-large', async () => {
    await expectRefused(async () => {
      const chunk = bigSnapshot(BODY_BYTES).toString('latin1');
      const raw = await rawExchange(gw.url,
        `POST /snapshot HTTP/1.1\r\nHost: ${new URL(gw.url).host}\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
      return { status: raw.status, headers: raw.headers, body: raw.body };
    }, 413, 'body-too-large');
  });

  test('a body of exactly the limit is read (the limit is inclusive) and forwarded', async () => {
    const prefix = '{"deployment_id":"';
    const body = `${prefix}${'b'.repeat(BODY_BYTES - prefix.length - 2)}"}`;
    expect(Buffer.byteLength(body)).toBe(BODY_BYTES);
    const before = vendor.received.length;
    const reply = await post(body);
    expect(reply.status).toBe(202);
    expect(vendor.received[before]?.body.toString('utf8')).toBe(body);
  });
});

describe('limits.inflated_bytes: decompression bombs are stopped at the limit', () => {
  // About 1 MB of valid JSON that compresses to a few kilobytes or less: only the inflated size is wrong.
  const bomb = bigSnapshot(1_000_000);

  test.each([
    ['gzip', 'gzip', () => zlib.gzipSync(bomb, { level: 9 })],
    ['x-gzip', 'x-gzip', () => zlib.gzipSync(bomb, { level: 9 })],
    ['deflate (zlib-wrapped, RFC 9110)', 'deflate', () => zlib.deflateSync(bomb, { level: 9 })],
    ['deflate (raw, as some clients send it)', 'deflate', () => zlib.deflateRawSync(bomb, { level: 9 })],
    ['br', 'br', () => zlib.brotliCompressSync(bomb)],
    ['gzip inside gzip', 'gzip, gzip', () => zlib.gzipSync(zlib.gzipSync(bomb, { level: 9 }), { level: 9 })],
    ['gzip magic bytes with no Content-Encoding', undefined, () => zlib.gzipSync(bomb, { level: 9 })],
  ])('%s: 413 inflated-too-large', async (_name, encoding, compress) => {
    const body = compress();
    expect(body.length).toBeLessThan(BODY_BYTES);
    await expectRefused(() => post(body, encoding === undefined ? {} : { 'content-encoding': encoding }), 413, 'inflated-too-large');
  });

  test('a gzip body that inflates to just under the limit is decoded and forwarded', async () => {
    const prefix = '{"deployment_id":"';
    const text = `${prefix}${'c'.repeat(INFLATED_BYTES - prefix.length - 2)}"}`;
    const before = vendor.received.length;
    const reply = await post(zlib.gzipSync(text), { 'content-encoding': 'gzip' });
    expect(reply.status).toBe(202);
    expect(vendor.received[before]?.body.toString('utf8')).toBe(text);
  });
});

describe('bodies that do not decode', () => {
  const good = zlib.gzipSync(JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11' }));

  test('truncated gzip (the last 12 bytes missing): 400 undecodable-body', async () => {
    await expectRefused(() => post(good.subarray(0, good.length - 12), { 'content-encoding': 'gzip' }), 400, 'undecodable-body');
  });

  test('corrupt gzip (a byte of the compressed data flipped): 400 undecodable-body', async () => {
    const corrupt = Buffer.from(good);
    const at = 12; // inside the DEFLATE stream, past the 10-byte gzip header
    corrupt[at] = corrupt[at]! ^ 0xff;
    await expectRefused(() => post(corrupt, { 'content-encoding': 'gzip' }), 400, 'undecodable-body');
  });

  test('plain JSON labelled gzip: 400 undecodable-body', async () => {
    await expectRefused(() => post(`{"deployment_id":"${uuid()}"}`, { 'content-encoding': 'gzip' }), 400, 'undecodable-body');
  });

  test('brotli labelled deflate: 400 undecodable-body', async () => {
    await expectRefused(() => post(zlib.brotliCompressSync('{"deployment_id":"x"}'), { 'content-encoding': 'deflate' }), 400, 'undecodable-body');
  });

  test.each([
    ['compress'],
    ['zstd'],
    ['gzip, snappy'],
    ['gzip, gzip, gzip, gzip'],
  ])('Content-Encoding "%s": 415 unsupported-encoding', async (encoding) => {
    await expectRefused(() => post(zlib.gzipSync('{}'), { 'content-encoding': encoding }), 415, 'unsupported-encoding');
  });
});

describe('an endpoint\'s own limits (the policy file\'s limits): the smaller of them and the config\'s applies', () => {
  const small = (body: Buffer | string, headers: Record<string, string> = {}) => post(body, headers, '/probe/small');
  const kept = (n: number): string => `{"kept":"${'k'.repeat(n)}"}`;

  test.each([
    ['a body over its body_bytes (256), within the config\'s (4096)', () => small(kept(300)), 413, 'body-too-large'],
    ['gzip over its inflated_bytes (512)', () => small(zlib.gzipSync(kept(600)), { 'content-encoding': 'gzip' }), 413, 'inflated-too-large'],
    ['more values than its 8', () => small(`{"kept":[${'1,'.repeat(8)}1]}`), 413, 'too-many-values'],
    ['deeper than its depth (2)', () => small('{"kept":[[1]]}'), 422, 'too-deep'],
  ])('%s: %i %s', async (_name, send, status, code) => {
    await expectRefused(send, status, code);
  });

  test('the same body on an endpoint without limits of its own is judged by the config\'s, and within its own it passes', async () => {
    const before = vendor.received.length;
    expect((await post(kept(300), {}, '/probe/ingest')).status).toBe(202);
    expect((await small(kept(100))).status).toBe(202);
    expect(vendor.received.slice(before).map((r) => r.body.toString('utf8'))).toEqual([kept(300), kept(100)]);
  });
});

describe('limits.depth', () => {
  test(`nesting one level deeper than limits.depth (${DEPTH}): 422 too-deep`, async () => {
    // The object itself is level 1: `levels` brackets inside it make DEPTH + 1.
    await expectRefused(() => post(nested(DEPTH)), 422, 'too-deep');
  });

  test('thousands of open brackets in a few kilobytes: 422 too-deep, not a crashed parser', async () => {
    await expectRefused(() => post(`{"deployment_id":${'['.repeat(BODY_BYTES - 40)}`), 422, 'too-deep');
  });

  test('brackets and escaped quotes inside strings are text, not nesting: forwarded unchanged', async () => {
    const deep = '['.repeat(DEPTH * 4);
    // workspaces[*].name and autostart_schedule are free text at level 2 (no constraint); their values here
    // only look like structure. (users[*].status and rbac_roles, used before issue 12, now have enums.)
    const body = `{"deployment_id":"${uuid()}","workspaces":[{"name":"\\\\","autostart_schedule":"${deep}"},{"name":"\\"${deep}"},{"name":"1e400"},{"name":"1.00000000000000000001"}]}`;
    const before = vendor.received.length;
    const reply = await post(body);
    expect(reply.status).toBe(202);
    expect(vendor.received[before]?.body.toString('utf8')).toBe(body);
  });

  test('nesting at exactly limits.depth passes the parser and is judged by the policy', async () => {
    const before = vendor.received.length;
    const reply = await post(nested(DEPTH - 1));
    expect(reply.status).toBe(202);
    // `extra` is named by no rule: dropped as unknown, never sent.
    expect(vendor.received[before]?.body.toString('utf8')).not.toContain('extra');
  });
});

describe('numbers: never rounded', () => {
  test.each([
    ['1.00000000000000000001', 'more digits than a double holds'],
    ['1e400', 'overflows a double'],
    ['-1e400', 'overflows a double, negative'],
    ['1e-400', 'underflows a double to 0'],
    ['123456789012345678901234567890.5', 'a fraction on an integer part past 2^53'],
  ])('%s (%s): 422 inexact-number', async (number) => {
    await expectRefused(() => post(`{"deployment_id":"${uuid()}","network_events":[{"node_id_self":${number}}]}`), 422, 'inexact-number');
  });

  test.each([
    ['22 digits', '1844674407370955161500'],
    ['22 digits, negative', '-1000000000000000000000'],
    ['2,001 digits', `1${'0'.repeat(2000)}`],
  ])('an integer longer than any a client writes (%s): 422 integer-out-of-range', async (_name, number) => {
    await expectRefused(() => post(`{"deployment_id":"${uuid()}","network_events":[{"node_id_self":${number}}]}`), 422, 'integer-out-of-range');
  });

  test('uint64 tailnet node ids (2^64-1, 2^53+1) reach the vendor digit for digit, as the audit record says', async () => {
    const body = `{"deployment_id":"${uuid()}","network_events":[{"node_id_self":18446744073709551615,"node_id_remote":9007199254740993}]}`;
    const before = vendor.received.length;
    const reply = await post(body);
    expect(reply.status).toBe(202);
    const sent = vendor.received[before]!.body;
    expect(sent.toString('utf8')).toBe(body);
    const record = egressRecords(await readAuditRecords(gw.auditDir)).find((r) => r.record['id'] === requestIdOf(reply));
    expect(record?.bodyBytes?.equals(sent)).toBe(true);
  });
});

describe('prototype keys are data, never a prototype link', () => {
  const prototypeIsClean = (): void => {
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  };

  test.each([
    ['the native parser path', ''],
    ['the lossless parser path (a uint64 in the body)', ',"network_events":[{"node_id_self":18446744073709551615}]'],
  ])('__proto__ and constructor.prototype that no rule names are dropped as unknown and pollute nothing (%s)', async (_name, tail) => {
    const id = uuid();
    const body = `{"deployment_id":"${id}","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}${tail}}`;
    const before = vendor.received.length;
    const reply = await post(body);
    expect(reply.status).toBe(202);
    const sent = vendor.received[before]!.body.toString('utf8');
    expect(sent).not.toContain('polluted');
    expect(sent).not.toContain('__proto__');
    expect(sent).not.toContain('constructor');
    expect(sent).toContain(id);
    prototypeIsClean();
    const record = await egressRecordOf(gw.auditDir, requestIdOf(reply));
    // Keys no rule names are reported by their keyed tag (issue 12), never as sent.
    const unknown = Object.keys((record?.['unknown'] ?? {}) as Record<string, number>);
    expect(unknown).toContain(keyTag('__proto__'));
    expect(unknown).toContain(keyTag('constructor'));
  });

  test('a policy that names __proto__.named and constructor.named passes exactly those, as plain members', async () => {
    const body = '{"__proto__":{"named":1,"polluted":"yes"},"constructor":{"named":2,"prototype":{"polluted":"yes"}},"kept":3}';
    const before = vendor.received.length;
    const reply = await post(body, {}, '/probe/ingest');
    expect(reply.status).toBe(202);
    expect(vendor.received[before]?.url).toBe('/probe/ingest');
    expect(vendor.received[before]?.body.toString('utf8')).toBe('{"__proto__":{"named":1},"constructor":{"named":2},"kept":3}');
    prototypeIsClean();
  });
});

describe('duplicate keys: the vendor receives telegate\'s serialization, one member per key', () => {
  test('two deployment_id members: one leaves, and it is what the audit record holds', async () => {
    const first = uuid();
    const second = uuid();
    const raw = `{"deployment_id":"${first}","deployment_id":"${second}"}`;
    const before = vendor.received.length;
    const reply = await post(raw);
    expect(reply.status).toBe(202);
    const sent = vendor.received[before]!.body;
    const text = sent.toString('utf8');
    expect(text).not.toBe(raw);
    expect(text.split('"deployment_id"').length - 1).toBe(1);
    expect([JSON.stringify({ deployment_id: first }), JSON.stringify({ deployment_id: second })]).toContain(text);
    const record = egressRecords(await readAuditRecords(gw.auditDir)).find((r) => r.record['id'] === requestIdOf(reply));
    expect(record?.bodyBytes?.equals(sent)).toBe(true);
  });

  test('duplicate keys next to a uint64 (the exact-number parser): still one member leaves, and the number exact', async () => {
    const raw = `{"deployment_id":"${uuid()}","deployment_id":"${uuid()}","network_events":[{"node_id_self":18446744073709551615}]}`;
    const before = vendor.received.length;
    const reply = await post(raw);
    // Refusing is as safe as choosing one; what must never happen is both members, or a rounded number.
    if (reply.status !== 202) {
      expectRefusal(reply, 400, 'invalid-json');
      expect(vendor.received.length).toBe(before);
      return;
    }
    const text = vendor.received[before]!.body.toString('utf8');
    expect(text.split('"deployment_id"').length - 1).toBe(1);
    expect(text).toContain('"node_id_self":18446744073709551615');
  });

  test('a dropped field repeated after an allowed one with the same name does not ride along', async () => {
    // The two `users` arrays are never merged into one the policy did not see: one array leaves, judged whole.
    const raw = `{"users":[{"id":"${uuid()}"}],"users":[{"id":"${uuid()}","secret_token":"s3cr3t"}]}`;
    const before = vendor.received.length;
    const reply = await post(raw);
    expect(reply.status).toBe(202);
    const text = vendor.received[before]!.body.toString('utf8');
    expect(text.split('"users"').length - 1).toBe(1);
    expect(text).not.toContain('s3cr3t');
  });
});

/**
 * Small bodies that cost far more than their size (issue 14), against a gateway with the default limits:
 * each is refused before it is parsed (or judged within bounds), and a normal snapshot sent at the same
 * time is served.
 */
describe('small inputs, large costs, at the default limits', () => {
  let wide: TestGateway;
  beforeAll(async () => {
    wide = await startTestGateway({ policies, env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_PROBE: '0' } });
  });
  afterAll(async () => {
    await wide.close();
  });

  const send = (h: HostileBody): Promise<HttpReply> => httpCall(`${wide.url}/snapshot`, {
    method: 'POST', body: h.body, headers: { 'x-coder-version': 'v2.24.1', ...(h.encoding ? { 'content-encoding': h.encoding } : {}) },
  });

  /** The hostile body and a normal snapshot at once: the normal one reaches the vendor whole. */
  async function withNormal(h: HostileBody): Promise<HttpReply> {
    const normal = JSON.stringify({ deployment_id: uuid() });
    const [reply, normalReply] = await Promise.all([
      send(h),
      httpCall(`${wide.url}/snapshot`, { method: 'POST', body: normal, headers: { 'x-coder-version': 'v2.24.1' } }),
    ]);
    expect(normalReply.status).toBe(202);
    expect(vendor.received.some((r) => r.body.toString('utf8') === normal)).toBe(true);
    return reply;
  }

  test.each([
    ['4.99 million empty objects in 14 KB of gzip', () => emptyObjects()],
    ['one 200 MB string in 200 KB of gzip', () => hugeString()],
    ['one 4,000,000-digit integer in 4 KB of gzip', () => longInteger()],
  ])('%s: 413 inflate-ratio, decoded no further than the ratio allows', async (_name, make) => {
    const h = make();
    expect(h.decodedBytes / h.body.length).toBeGreaterThan(100);
    const before = vendor.received.length;
    const reply = await withNormal(h);
    expectRefusal(reply, 413, 'inflate-ratio');
    await expectRejectedRecord(wide.auditDir, reply, 'inflate-ratio');
    expect(vendor.received.length).toBe(before + 1); // the normal snapshot only
  });

  test('the 4,000,000-digit integer sent plain (4 MB): 422 integer-out-of-range', async () => {
    const h = longInteger();
    const plain: HostileBody = { name: 'plain', body: zlib.gunzipSync(h.body), decodedBytes: h.decodedBytes };
    const reply = await withNormal(plain);
    expectRefusal(reply, 422, 'integer-out-of-range');
    await expectRejectedRecord(wide.auditDir, reply, 'integer-out-of-range');
  });

  test('832 KB of distinct unknown keys: judged, and the record lists 1,000 paths and counts the rest', async () => {
    const h = distinctUnknownKeys();
    const keys = (h.body.toString('latin1').match(/"k\d{6}":/g) ?? []).length;
    const reply = await withNormal(h);
    expect(reply.status).toBe(202);
    const records = egressRecords(await readAuditRecords(wide.auditDir));
    const record = records.find((r) => r.record['id'] === requestIdOf(reply))!;
    expect(record.record['decision']).toBe('forwarded');
    const unknown = record.record['unknown'] as Record<string, number>;
    expect(Object.keys(unknown)).toHaveLength(1000);
    // No key is written as sent: each listed path is `*` and a tag.
    expect(Object.keys(unknown).every((p) => /^\*[0-9a-f]{16}$/.test(p))).toBe(true);
    expect(record.record['unlisted']).toEqual({ paths: keys - 1000, values: { unknown: keys - 1000 } });
    expect(JSON.stringify(record.record).length).toBeLessThan(64 * 1024);
  });

  test('a real snapshot sent gzipped (over 1 MiB decoded, at its own ratio) is decoded and forwarded', async () => {
    const text = generateCoderSnapshot(200).body;
    const body = zlib.gzipSync(text);
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const before = vendor.received.length;
    const reply = await httpCall(`${wide.url}/snapshot`, { method: 'POST', body, headers: { 'x-coder-version': 'v2.24.1', 'content-encoding': 'gzip' } });
    expect(reply.status).toBe(202);
    expect(vendor.received[before]?.body.length).toBeGreaterThan(1024 * 1024);
  });
});
