/**
 * The shipped packs under hostile values, through the real HTTP pipeline (fast-check; issue 12's "done
 * when"): the packs' real captured bodies, with one value anywhere in them (a string, a number, a
 * container, an array element) replaced by a marked e-mail address, IP address, URL, host name, token,
 * key or JWT, set in random text, or by an object or array holding one. Two gateways: every vendor at
 * level 1, and every vendor at level 2. For each request:
 *   - level 1: no marked value reaches the stand-in vendor as sent;
 *   - level 2: no marked credential (token, key, JWT, URL credentials) reaches it, and no container
 *     where a rule allows a scalar (shapes hold at every level);
 *   - the marked values are in none of the audit files, telegate's log lines or the /metrics text.
 * The console reads the audit files only: what they do not hold it cannot show.
 * `npm test` runs 80 cases (PACK_FUZZ_RUNS for more).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { parseJson } from '../../src/json/parse';
import { serializeJson } from '../../src/json/serialize';
import type { JsonObject, JsonValue } from '../../src/json/types';
import { POLICIES, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const RUNS = Number(process.env['PACK_FUZZ_RUNS'] ?? 80);
const WRITE_KEY_AUTH = `Basic ${Buffer.from('284Py4VgK2MsNYV7xlKzyrALx0v:').toString('base64')}`;

interface Base { vendor: 'coder' | 'automatisch'; path: string; body: JsonObject; headers: Record<string, string> }

function load(file: string): JsonObject {
  const parsed = parseJson(readFileSync(path.join(POLICIES, 'tests', file)), { maxDepth: 256 });
  if (!parsed.ok) throw new Error(file);
  return parsed.value as JsonObject;
}
const BASES: Base[] = [
  { vendor: 'coder', path: '/snapshot', body: load('coder-snapshot.input.json'), headers: { 'x-coder-version': 'v2.24.1' } },
  { vendor: 'coder', path: '/deployment', body: load('coder-deployment.input.json'), headers: { 'x-coder-version': 'v2.24.1' } },
  { vendor: 'coder', path: '/deployment', body: load('coder-deployment-newest.input.json'), headers: { 'x-coder-version': 'v2.24.1' } },
  { vendor: 'automatisch', path: '/v1/batch', body: load('automatisch-sdk1.input.json'), headers: { authorization: WRITE_KEY_AUTH } },
  { vendor: 'automatisch', path: '/v1/batch', body: load('automatisch-sdk3.input.json'), headers: { authorization: WRITE_KEY_AUTH } },
];

type Step = string | number;
/** Every value's steps (leaves and containers), the root excluded. */
function places(v: JsonValue, steps: Step[] = [], out: Step[][] = []): Step[][] {
  if (steps.length > 0) out.push(steps);
  if (Array.isArray(v)) v.forEach((e, i) => places(e, [...steps, i], out));
  else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) places(v[k]!, [...steps, k], out);
  return out;
}
function replaced(v: JsonValue, steps: readonly Step[], value: JsonValue): JsonValue {
  if (steps.length === 0) return value;
  const [head, ...rest] = steps as [Step, ...Step[]];
  if (Array.isArray(v)) return v.map((e, i) => (i === head ? replaced(e, rest, value) : e));
  const o = v as JsonObject;
  const out: JsonObject = {};
  for (const k of Object.keys(o)) Object.defineProperty(out, k, { value: k === head ? replaced(o[k]!, rest, value) : o[k]!, enumerable: true, writable: true, configurable: true });
  return out;
}

// ---- hostile values ------------------------------------------------------------------------------------

const ALNUM = 'abcdefghijklmnopqrstuv0123456789'.split('');
const marker = fc.array(fc.constantFrom(...ALNUM), { minLength: 10, maxLength: 10 }).map((c) => `zq${c.join('')}`);
const noise = fc.string({ unit: 'grapheme-ascii', maxLength: 8 }).map((s) => s.replace(/[@:/.\\]/g, ' '));
const octet = fc.integer({ min: 0, max: 255 });

interface Hostile { value: JsonValue; needles: string[]; secret: boolean }

const secretText: fc.Arbitrary<{ text: string; needle: string }> = fc.oneof(
  marker.map((m) => ({ text: `ghp_${m}${'x'.repeat(36 - m.length)}`, needle: m })),
  marker.map((m) => ({ text: `glpat-${m}abcdefghij`, needle: m })),
  fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.split('')), { minLength: 16, maxLength: 16 }).map((c) => ({ text: `AKIA${c.join('')}`, needle: `AKIA${c.join('')}` })),
  marker.map((m) => ({ text: `eyJhbGciOiJIUzI1NiJ9.eyJ${m}.c2ln`, needle: m })),
  marker.map((m) => ({ text: `postgres://coder:${m}@db.internal/x`, needle: m })),
  marker.map((m) => ({ text: `xoxb-${m}-0123456789`, needle: m })),
);
const personalText: fc.Arbitrary<{ text: string; needle: string }> = fc.oneof(
  fc.tuple(marker, marker).map(([a, b]) => ({ text: `${a}@${b}.example.com`, needle: a })),
  marker.map((m) => ({ text: `https://${m}.corp.example/path`, needle: m })),
  marker.map((m) => ({ text: `www.${m}.example`, needle: m })),
  fc.tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet).map((o) => ({ text: o.join('.'), needle: o.join('.') })),
  fc.array(fc.integer({ min: 0x1000, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => ({ text: g.map((n) => n.toString(16)).join(':'), needle: g.map((n) => n.toString(16)).join(':') })),
  marker.map((m) => ({ text: `arn:aws:iam::${m}:role/x`, needle: m })),
);
const inText = (a: fc.Arbitrary<{ text: string; needle: string }>, secret: boolean): fc.Arbitrary<Hostile> =>
  fc.tuple(noise, a, noise, fc.boolean()).map(([pre, t, post, bare]) => ({ value: bare ? t.text : `${pre} ${t.text} ${post}`, needles: [t.needle], secret }));
const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  inText(secretText, true),
  inText(personalText, false),
  // Another shape: a container where the rule may allow a scalar, holding a marked value.
  fc.tuple(fc.oneof(inText(secretText, true), inText(personalText, false)), fc.boolean()).map(([h, asArray]) => ({
    value: asArray ? [h.value] : { nested: h.value }, needles: h.needles, secret: true,
  })),
);

// ---- the run ---------------------------------------------------------------------------------------

describe('the shipped packs under hostile values, over HTTP', () => {
  let vendor: StandInVendor;
  const gateways = new Map<1 | 2, TestGateway>();
  const allNeedles = new Set<string>();
  /** What each base body sends untouched, per level: a needle already there is not a leak. */
  const baseline = new Map<string, string>();

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    for (const level of [1, 2] as const) {
      gateways.set(level, await startTestGateway({
        configYaml: ['vendors:', `  coder: { level: ${level}, upstream: "${vendor.url}/coder" }`, `  automatisch: { level: ${level}, upstream: "${vendor.url}/automatisch" }`].join('\n'),
      }));
    }
    for (const [i, base] of BASES.entries()) {
      for (const level of [1, 2] as const) {
        const before = vendor.received.length;
        const reply = await httpCall(`${gateways.get(level)!.url}${base.path}`, { method: 'POST', body: Buffer.from(serializeJson(base.body)), headers: base.headers });
        expect(reply.status === 200 || reply.status === 202).toBe(true);
        baseline.set(`${i}/${level}`, vendor.received.slice(before).map((r) => r.body.toString('utf8')).join('\n'));
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const gw of gateways.values()) await gw.close();
    await vendor?.close();
  });

  test(`${RUNS} hostile values in real bodies: nothing marked leaves that the level forbids`, async () => {
    const baseAndPlace = fc.nat(BASES.length - 1).chain((i) => fc.constantFrom(...places(BASES[i]!.body)).map((steps) => ({ i, steps })));
    await fc.assert(fc.asyncProperty(baseAndPlace, hostileArb, fc.constantFrom<1 | 2>(1, 2), async ({ i, steps }, hostile, level) => {
      const base = BASES[i]!;
      const body = replaced(base.body, steps, hostile.value);
      for (const n of hostile.needles) allNeedles.add(n);
      const before = vendor.received.length;
      const reply = await httpCall(`${gateways.get(level)!.url}${base.path}`, { method: 'POST', body: Buffer.from(serializeJson(body)), headers: base.headers });
      expect([200, 202]).toContain(reply.status);
      const sent = vendor.received.slice(before).map((r) => r.body.toString('utf8')).join('\n');
      const was = baseline.get(`${i}/${level}`)!;
      // Level 1 lets nothing marked out; level 2 (the vendor default) no credential and no container where
      // a scalar is allowed (a whole subtree is allowed only where the pack says so).
      if (level === 1 || hostile.secret) {
        for (const n of hostile.needles) {
          if (was.includes(n)) continue;
          expect({ at: steps.join('.'), level, value: hostile.value, leaked: sent.includes(n) }).toEqual({ at: steps.join('.'), level, value: hostile.value, leaked: false });
        }
      }
    }), { numRuns: RUNS });
  }, Math.max(120_000, RUNS * 2_000));

  test('after the run: no marked value is in any audit file, log line or metric', async () => {
    let written = '';
    for (const gw of gateways.values()) {
      written += gw.logLines.join('\n');
      for (const name of readdirSync(gw.auditDir)) if (name.endsWith('.jsonl')) written += await readFile(path.join(gw.auditDir, name), 'utf8');
      written += (await httpCall(`${gw.adminUrl}/metrics`)).body;
    }
    const leaked = [...allNeedles].filter((n) => written.includes(n) && ![...baseline.values()].some((b) => b.includes(n)));
    // Level 2 forwards e-mail addresses and URLs (the vendor default), and the audit log holds what was
    // sent: those are checked against what each level may send, above. Only what left may be in the log.
    const sentAnywhere = vendor.received.map((r) => r.body.toString('utf8')).join('\n');
    expect(leaked.filter((n) => !sentAnywhere.includes(n))).toEqual([]);
    expect(allNeedles.size).toBeGreaterThan(RUNS / 2);
  });
});
