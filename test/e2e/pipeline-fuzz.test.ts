/**
 * The whole pipeline under random requests (fast-check): one in-process gateway with a small test policy
 * (allow, hash, drop, a discriminator, default deny) and a stand-in vendor, and bodies that are deep,
 * wide, unicode, escaped, carry `__proto__`/`constructor`/`toString` keys, duplicate keys, long strings
 * and numbers at the edges of IEEE-754, in every Content-Encoding. For each request:
 *   - telegate answers: 202 from the vendor, or a 4xx {"error","detail"} the body deserves; never a 5xx;
 *   - the vendor receives canonical JSON (it re-parses and re-serializes to itself, no duplicate keys),
 *     and the egress record names exactly those bytes;
 *   - allowed values arrive with the meaning the instance gave them (big integers digit for digit);
 *   - hashed values arrive as pseudonyms of their own format, one value one pseudonym;
 *   - no dropped, hashed or unknown value (each carries a marker) is in the vendor's body, the audit
 *     files, telegate's log or the error reply.
 * `npm test` runs 100 cases; `FUZZ_RUNS=5000 npm run fuzz` the long run (FUZZ_SEED replays one).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { verifyAuditDir } from '../../src/audit';
import { tailAudit, type AuditTail } from '../helpers/audit-tail';
import { walkFolder } from '../helpers/folder-walk';
import { bodyNode, caseArb, FUZZ_POLICY, MARKER, secretTree, type Corruption, type FuzzCase, type IdInput } from '../helpers/fuzz-cases';
import { meaningDiff, meaningOf, meaningOfReceived, parseReceived, render, reserialize, type Meaning } from '../helpers/fuzz-json';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100);
const SEED = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const deflateRaw = promisify(zlib.deflateRaw);
const brotli = promisify(zlib.brotliCompress);

const UUID_ANY = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const IPV4_ANY = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;
const IPV6_FULL = /(?:[0-9a-f]{4}:){7}[0-9a-f]{4}/gi;
const HEX32 = /^[0-9a-f]{32}$/;
const EMAIL_PSEUDONYM = /^[0-9a-f]{16}@[0-9a-f]{12}\.invalid$/;
/** Top-level members the policy lets out. */
const OUT_KEYS = new Set(['keep', 'dotted.key', 'toString', 'ids', 'user', 'rows', 'events']);

const EXPECTED_REFUSAL: Record<Corruption, { status: number; error: string }> = {
  'truncate': { status: 400, error: 'invalid-json' },
  'inexact': { status: 422, error: 'inexact-number' },
  'too-deep': { status: 422, error: 'too-deep' },
  'array': { status: 422, error: 'not-an-object' },
  'not-utf8': { status: 400, error: 'not-utf8' },
  'mislabelled-gzip': { status: 400, error: 'undecodable-body' },
  'unknown-encoding': { status: 415, error: 'unsupported-encoding' },
  'bare-value': { status: 400, error: 'invalid-json' },
};

/** Corruptions the parser meets (the others are refused before it): a duplicate key may be met first. */
const PARSED_AFTER = new Set<Corruption | null>([null, 'truncate', 'inexact', 'array']);

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The bytes on the wire and the Content-Encoding header, corruption applied. */
async function wire(c: FuzzCase, text: string): Promise<{ bytes: Buffer; encoding?: string }> {
  let plain: Buffer;
  switch (c.corruption) {
    case 'truncate': {
      const cps = Array.from(text);
      plain = Buffer.from(cps.slice(0, 1 + Math.floor(c.truncateAt * (cps.length - 2))).join(''));
      break;
    }
    case 'inexact': plain = Buffer.from(`{"keep":${c.inexact},"rest":${text}}`); break;
    case 'too-deep': plain = Buffer.from(`{"keep":${'['.repeat(200)}${']'.repeat(200)},"rest":${text}}`); break;
    case 'array': plain = Buffer.from(`[${text}]`); break;
    case 'bare-value': plain = Buffer.from(`${c.bare}${text}`); break;
    case 'not-utf8': plain = Buffer.concat([Buffer.from('{"bad":"'), Buffer.from([0xff, 0xfe]), Buffer.from(`","rest":${text}}`)]); break;
    case 'mislabelled-gzip': return { bytes: Buffer.from(text), encoding: 'gzip' };
    case 'unknown-encoding': return { bytes: Buffer.from(text), encoding: 'compress' };
    case null: plain = Buffer.from(text);
  }
  switch (c.encoding) {
    case 'none': return { bytes: plain };
    case 'identity': return { bytes: plain, encoding: 'identity' };
    case 'gzip': return { bytes: await gzip(plain), encoding: 'gzip' };
    case 'x-gzip': return { bytes: await gzip(plain), encoding: 'x-gzip' };
    case 'gzip-unlabelled': return { bytes: await gzip(plain) };
    case 'deflate': return { bytes: await deflate(plain), encoding: 'deflate' };
    case 'deflate-raw': return { bytes: await deflateRaw(plain), encoding: 'deflate' };
    case 'br': return { bytes: await brotli(plain), encoding: 'br' };
    case 'gzip, br': return { bytes: await brotli(await gzip(plain)), encoding: 'gzip, br' };
  }
}

function routeOf(c: FuzzCase, base: string): { url: string; host?: string } {
  switch (c.route) {
    case 'endpoint': return { url: `${base}/v1/fuzz` };
    case 'prefix': return { url: `${base}/fuzz/v1/fuzz` };
    case 'host': return { url: `${base}/v1/fuzz`, host: 'telemetry.fuzz.example' };
  }
}

function fail(message: string): never {
  throw new Error(message);
}

describe('the pipeline under random requests', () => {
  let policies: string;
  let vendor: StandInVendor;
  let gw: TestGateway;
  let tail: AuditTail;
  let logCursor = 0;
  /** Originals that were hashed: found anywhere telegate writes, they leaked. */
  const hashedOriginals = new Set<string>();
  /** One value, one pseudonym (and no two values share one), across the whole run. */
  const pseudonymOf = new Map<string, string>();
  const originalOf = new Map<string, string>();
  const tally = { cases: 0, forwarded: 0, refused: new Map<string, number>() };

  beforeAll(async () => {
    policies = await mkdtemp(path.join(tmpdir(), 'telegate-fuzz-policies-'));
    await writeFile(path.join(policies, 'fuzz.yaml'), FUZZ_POLICY);
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    // The cases' long strings repeat one grapheme thousands of times and gzip past limits.inflate_ratio,
    // which hostile-input.test.ts covers: here the ratio is lifted so such bodies are judged.
    gw = await startTestGateway({ policies, env: { TELEGATE_UPSTREAM_FUZZ: vendor.url, TELEGATE_LEVEL_FUZZ: '1' }, configYaml: 'limits: { inflate_ratio: 1000000 }\n' });
    tail = tailAudit(gw.auditDir);
  });

  afterAll(async () => {
    await gw?.close();
    await vendor?.close();
    await rm(policies, { recursive: true, force: true });
    process.stdout.write(`pipeline fuzz: ${tally.cases} cases, ${tally.forwarded} forwarded, refused ${JSON.stringify(Object.fromEntries(tally.refused))}, ${hashedOriginals.size} hashed originals tracked\n`);
  });

  /** Every marker and hashed original found in `text`. */
  function leaks(text: string): string[] {
    const found = [...text.matchAll(MARKER)].map((m) => m[0]);
    for (const pattern of [UUID_ANY, IPV4_ANY, IPV6_FULL]) {
      for (const m of text.matchAll(pattern)) if (hashedOriginals.has(m[0].toLowerCase())) found.push(m[0]);
    }
    return found;
  }

  function samePseudonym(kind: string, original: string, pseudonym: string): void {
    const key = `${kind}:${original}`;
    const before = pseudonymOf.get(key);
    if (before !== undefined && before !== pseudonym) fail(`${key} became ${before} and later ${pseudonym}`);
    const owner = originalOf.get(pseudonym);
    if (owner !== undefined && owner !== key) fail(`${owner} and ${key} share the pseudonym ${pseudonym}`);
    pseudonymOf.set(key, pseudonym);
    originalOf.set(pseudonym, key);
  }

  function checkId(input: IdInput, out: unknown, at: string): void {
    switch (input.kind) {
      case 'uuid':
        if (typeof out !== 'string' || !UUID_V8.test(out)) fail(`${at}: UUID ${input.v} arrived as ${String(out)}, not a version 8 UUID`);
        samePseudonym('uuid', input.v.toLowerCase(), out);
        return;
      case 'nil':
        if (out !== input.v.toLowerCase()) fail(`${at}: ${input.v} (means "none") arrived as ${String(out)}`);
        return;
      case 'empty':
        if (out !== '') fail(`${at}: "" arrived as ${String(out)}`);
        return;
      case 'string':
        if (typeof out !== 'string' || !HEX32.test(out)) fail(`${at}: a string id arrived as ${String(out).slice(0, 60)}, not 32 hex digits`);
        samePseudonym('string', input.v, out);
    }
  }

  function checkForwarded(c: FuzzCase, body: Record<string, unknown>): void {
    for (const k of Object.keys(body)) if (!OUT_KEYS.has(k)) fail(`top-level member ${JSON.stringify(k)} left, but the policy does not allow it`);
    const same = (what: string, expected: Meaning | undefined, actual: unknown): void => {
      if (expected === undefined) {
        if (actual !== undefined) fail(`${what} left though the instance did not send it`);
        return;
      }
      if (actual === undefined) fail(`${what} (allowed) did not arrive`);
      const d = meaningDiff(expected, meaningOfReceived(actual), what);
      if (d) fail(d);
    };
    same('keep', c.keep && meaningOf(c.keep), body['keep']);
    same('"dotted.key"', c.dotted, body['dotted.key']);
    same('toString', c.toStringValue && meaningOf(c.toStringValue), Object.hasOwn(body, 'toString') ? body['toString'] : undefined);

    if (c.ids) {
      const out = body['ids'];
      if (!Array.isArray(out) || out.length !== c.ids.length) fail(`ids: ${c.ids.length} sent, ${JSON.stringify(out)?.slice(0, 80)} arrived`);
      c.ids.forEach((id, i) => checkId(id, out[i], `ids[${i}]`));
    } else if (body['ids'] !== undefined) fail('ids left though none were sent');

    if (c.user) {
      const out = body['user'] as Record<string, unknown> | undefined;
      if (out === null || typeof out !== 'object') fail('user did not arrive');
      const sent = ['email', 'ip', 'ip6', 'name'].filter((k) => c.user![k as 'email'] !== undefined);
      expect(Object.keys(out).sort()).toEqual(sent.sort());
      const { email, ip, ip6, name } = c.user;
      if (email !== undefined) {
        if (typeof out['email'] !== 'string' || !EMAIL_PSEUDONYM.test(out['email'])) fail(`user.email arrived as ${String(out['email'])}`);
        const at = email.lastIndexOf('@');
        samePseudonym('email', `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`, out['email']);
      }
      if (ip !== undefined) {
        const v = out['ip'];
        if (typeof v !== 'string' || !isIPv4(v) || Number(v.split('.')[0]) < 240) fail(`user.ip ${ip} arrived as ${String(v)}, not an address in 240.0.0.0/4`);
        samePseudonym('ipv4', ip, v);
      }
      if (ip6 !== undefined) {
        const v = out['ip6'];
        if (typeof v !== 'string' || !isIPv6(v) || !v.startsWith('2001:db8:')) fail(`user.ip6 ${ip6} arrived as ${String(v)}, not an address in 2001:db8::/32`);
        samePseudonym('ipv6', ip6.toLowerCase(), v);
      }
      if (name !== undefined) {
        const v = out['name'];
        if (name === '' ? v !== '' : typeof v !== 'string' || !HEX32.test(v)) fail(`user.name arrived as ${String(v).slice(0, 60)}`);
        if (name !== '') samePseudonym('string', name, v as string);
      }
    } else if (body['user'] !== undefined) fail('user left though none was sent');

    const rows = c.rows && arrOf(c.rows.map((r) => mapOf([['visible', meaningOf(r.visible)]])));
    same('rows', rows, body['rows']);
    const tracks = c.events && arrOf(c.events.flatMap((e) => ('props' in e
      ? [mapOf([['type', 'track'], ['props', meaningOf({ t: 'obj', entries: e.props })]])]
      : [])));
    same('events', tracks, body['events']);
  }

  const arrOf = (items: Meaning[]): Meaning => items;
  const mapOf = (entries: [string, Meaning][]): Meaning => new Map(entries);

  test(`${RUNS} random requests: answered, canonical, allowed values intact, pseudonyms in format, nothing removed leaks`, async () => {
    await fc.assert(fc.asyncProperty(caseArb, secretTree, async (c, decoy) => {
      tally.cases++;
      if (c.user?.ip) hashedOriginals.add(c.user.ip);
      if (c.user?.ip6) hashedOriginals.add(c.user.ip6.toLowerCase());
      for (const id of c.ids ?? []) if (id.kind === 'uuid') hashedOriginals.add(id.v.toLowerCase());

      const { text, duplicateKeys } = render(bodyNode(c, decoy), c.style);
      const { bytes, encoding } = await wire(c, text);
      const { url, host } = routeOf(c, gw.url);
      const sentBefore = vendor.received.length;
      const reply = await httpCall(url, {
        method: 'POST',
        body: bytes,
        headers: {
          ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
          ...(c.contentType === null ? {} : { 'content-type': c.contentType }),
          ...(host === undefined ? {} : { host }),
          'x-fuzz-version': c.version,
        },
      });
      const received = vendor.received.slice(sentBefore);
      const { text: auditText, records } = await tail.next();
      const id = reply.headers['x-request-id'];
      const egress = records.filter((r) => r['type'] === 'egress' && r['id'] === id);
      expect(egress).toHaveLength(1);
      const record = egress[0]!;

      if (reply.status === 202) {
        if (c.corruption !== null) fail(`a ${c.corruption} body was forwarded`);
        tally.forwarded++;
        expect(received).toHaveLength(1);
        const sent = received[0]!.body;
        const sentText = sent.toString('utf8');
        expect(record['decision']).toBe('forwarded');
        expect(record['body_sha256']).toBe(sha256(sent));
        let parsed: unknown;
        try {
          parsed = parseReceived(sentText);
        } catch (error) {
          fail(`the vendor received JSON that does not parse cleanly: ${(error as Error).message}`);
        }
        expect(reserialize(parsed)).toBe(sentText);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail('the vendor received something other than an object');
        checkForwarded(c, parsed as Record<string, unknown>);
      } else {
        expect(received).toHaveLength(0);
        const answer = JSON.parse(reply.body) as Record<string, unknown>;
        expect(Object.keys(answer).sort()).toEqual(['detail', 'error']);
        expect(typeof answer['detail']).toBe('string');
        // RFC 8259 leaves duplicate keys to the receiver: refusing such a body as invalid is fine too.
        const expected = [c.corruption === null ? { status: 202, error: '(none: a valid body)' } : EXPECTED_REFUSAL[c.corruption]];
        if (duplicateKeys && PARSED_AFTER.has(c.corruption)) expected.push({ status: 400, error: 'invalid-json' });
        const got = { status: reply.status, error: answer['error'] };
        if (!expected.some((e) => e.status === got.status && e.error === got.error)) {
          fail(`answered ${JSON.stringify(got)} (${String(answer['detail'])}), expected ${expected.map((e) => JSON.stringify(e)).join(' or ')}`);
        }
        expect(record).toMatchObject({ decision: 'rejected', reason: got.error });
        // A refusal describes the body's shape, never its text: not even the first characters of a bare value.
        if (c.corruption === 'bare-value') expect(reply.body).not.toContain(c.bare.slice(0, 8));
        expect(record['body']).toBeUndefined();
        tally.refused.set(String(got.error), (tally.refused.get(String(got.error)) ?? 0) + 1);
      }

      const newLog = gw.logLines.slice(logCursor).join('\n');
      logCursor = gw.logLines.length;
      const leaked = leaks([...received.map((r) => r.body.toString('utf8')), auditText, newLog, reply.body].join('\n'));
      if (leaked.length > 0) fail(`removed or hashed values leaked: ${[...new Set(leaked)].join(', ')}`);
    }), { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });
  }, Math.max(60_000, RUNS * 1_000));

  test('after the run: the gateway is alive, the audit chain verifies, and no marker is anywhere it wrote', async () => {
    expect((await httpCall(`${gw.adminUrl}/healthz`)).status).toBe(200);
    expect((await verifyAuditDir(gw.auditDir)).firstError).toBeUndefined();
    let everything = gw.logLines.join('\n');
    for (const entry of await walkFolder(gw.auditDir)) if (entry.kind === 'file') everything += await readFile(entry.path, 'utf8');
    for (const r of vendor.received) everything += r.body.toString('utf8');
    expect(leaks(everything)).toEqual([]);
  });
});
