/**
 * The shipped packs' value constraints against what the vendors really send (issue 12, point 8): every
 * captured body (the vendors' examples in test/fixtures/vendor-examples, the packs' fixture inputs, and the
 * batches the real RudderStack SDKs put on the wire) passes both packs with nothing invalid and nothing
 * redacted; and every string that leaves as sent at level 1, replaced by a marked e-mail address, IP
 * address, URL, host name, token or key, or by an object or array holding one, never leaves.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseJson } from '../../../src/json/parse';
import type { JsonObject, JsonValue } from '../../../src/json/types';
import { createPseudonymizer, loadPolicySet, transform, type Endpoint, type PolicySet } from '../../../src/policy';
import { automatischTrackCalls, currentHost, runRudderClient, startCaptureServer, type RudderSdkMajor } from '../../helpers/rudder-capture';

const ROOT = path.join(__dirname, '../../..');
const EXAMPLES = path.join(ROOT, 'test/fixtures/vendor-examples');
const pseudonymizer = createPseudonymizer(Buffer.from('pack-constraints-test-key-0123456789', 'utf8'));

interface Captured { name: string; vendor: 'coder' | 'automatisch'; endpoint: string; body: JsonObject }

function exact(bytes: Buffer): JsonObject {
  const parsed = parseJson(bytes, { maxDepth: 256 });
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) throw new Error('not a JSON object');
  return parsed.value;
}

function classify(name: string, body: JsonObject): Captured {
  if (Array.isArray(body['batch'])) return { name, vendor: 'automatisch', endpoint: '/v1/batch', body };
  const deployment = 'config' in body || 'architecture' in body || 'os_type' in body;
  return { name, vendor: 'coder', endpoint: deployment ? '/deployment' : '/snapshot', body };
}

/** The vendors' captured examples and the packs' fixture inputs. */
function files(): Captured[] {
  const out: Captured[] = [];
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  for (const f of examples) out.push(classify(`examples/${f}`, exact(readFileSync(path.join(EXAMPLES, f)))));
  const tests = path.join(ROOT, 'policies/tests');
  for (const f of readdirSync(tests).filter((n) => n.endsWith('.input.json'))) out.push(classify(`policies/tests/${f}`, exact(readFileSync(path.join(tests, f)))));
  return out;
}

async function sdkBatches(version: RudderSdkMajor): Promise<Captured[]> {
  const server = await startCaptureServer();
  try {
    const run = await runRudderClient({ version, url: server.url, events: automatischTrackCalls(undefined, currentHost()) });
    expect(run.exitCode).toBe(0);
    return server.requests.map((r, i) => ({ name: `SDK ${version} batch ${i}`, vendor: 'automatisch' as const, endpoint: '/v1/batch', body: r.json as JsonObject }));
  } finally {
    await server.close();
  }
}

let set: PolicySet;
let captured: Captured[];

beforeAll(async () => {
  const loaded = await loadPolicySet([path.join(ROOT, 'policies')]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
  set = loaded.value;
  captured = [...files(), ...(await sdkBatches(1)), ...(await sdkBatches(3))];
}, 120_000);

const endpointOf = (c: Captured): Endpoint => set.policies.get(c.vendor)!.endpoints.get(c.endpoint)!;

test('the captured bodies cover both packs and all three endpoints', () => {
  expect(new Set(captured.map((c) => `${c.vendor} ${c.endpoint}`))).toEqual(new Set(['coder /deployment', 'coder /snapshot', 'automatisch /v1/batch']));
  expect(captured.filter((c) => c.name.startsWith('examples/'))).toHaveLength(4);
});

test('every real value meets its constraint and no detector finds anything in it, at levels 1 and 2', () => {
  for (const c of captured) {
    for (const level of [1, 2] as const) {
      const r = transform(endpointOf(c), level, c.body, pseudonymizer);
      expect({ body: c.name, level, invalid: r.invalid, redacted: r.redacted }).toEqual({ body: c.name, level, invalid: {}, redacted: {} });
    }
  }
});

// ---- marked variants ------------------------------------------------------------------------------

const MARK = 'zqmarkedvalue01';
const VARIANTS: [string, JsonValue][] = [
  ['e-mail', `${MARK}@corp.example`],
  ['e-mail in text', `v2.1.0 ${MARK}@corp.example`],
  ['IPv4', `10.${MARK.length}.0.7`],
  ['IPv6', 'fe80::1:7'],
  ['URL', `https://${MARK}.corp.example/`],
  ['host name', `${MARK}.corp.example`],
  ['URL credentials', `postgres://u:${MARK}@db/x`],
  ['GitHub token', `ghp_${MARK}${'a'.repeat(36 - MARK.length)}`],
  ['AWS key id', 'AKIAIOSFODNN7EXAMPLE'],
  ['JWT', `eyJhbGciOiJIUzI1NiJ9.eyJ${MARK}.c2ln`],
  ['object', { owner_email: `${MARK}@corp.example` }],
  ['array', [`${MARK}@corp.example`]],
];
const needles = (v: JsonValue): string[] => {
  const text = JSON.stringify(v);
  if (text.includes(MARK)) return [MARK];
  if (text.includes('AKIAIOSFODNN7EXAMPLE')) return ['AKIAIOSFODNN7EXAMPLE'];
  return ['fe80::1:7', '10.15.0.7'].filter((n) => text.includes(n));
};

type Step = string | number;
/** Every string leaf with its steps. */
function stringLeaves(v: JsonValue, steps: Step[] = [], out: { steps: Step[]; value: string }[] = []): { steps: Step[]; value: string }[] {
  if (typeof v === 'string') out.push({ steps, value: v });
  else if (Array.isArray(v)) v.forEach((e, i) => stringLeaves(e, [...steps, i], out));
  else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) stringLeaves(v[k]!, [...steps, k], out);
  return out;
}
function at(v: JsonValue, steps: readonly Step[]): JsonValue | undefined {
  let cur: JsonValue | undefined = v;
  for (const s of steps) cur = cur === null || typeof cur !== 'object' ? undefined : (cur as Record<string | number, JsonValue>)[s];
  return cur;
}
function replaced(v: JsonValue, steps: readonly Step[], value: JsonValue): JsonValue {
  if (steps.length === 0) return value;
  const [head, ...rest] = steps as [Step, ...Step[]];
  if (Array.isArray(v)) return v.map((e, i) => (i === head ? replaced(e, rest, value) : e));
  const o = v as JsonObject;
  return { ...o, [head]: replaced(o[head as string]!, rest, value) };
}
/** A path with indices written [*], to visit each allowed field once. */
const shape = (steps: readonly Step[]): string => steps.map((s) => (typeof s === 'number' ? '[*]' : `.${s}`)).join('');

test('a string that leaves as sent at level 1, replaced by a marked address, host, URL, token or a container, never leaves', () => {
  const seen = new Set<string>();
  let tried = 0;
  for (const c of captured) {
    const endpoint = endpointOf(c);
    const out = transform(endpoint, 1, c.body, pseudonymizer).body as JsonObject;
    for (const leaf of stringLeaves(c.body)) {
      // Only the strings that leave as they came: hashed ones leave as pseudonyms whatever they hold.
      if (at(out, leaf.steps) !== leaf.value) continue;
      const id = `${c.vendor}${c.endpoint}${shape(leaf.steps)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const [what, variant] of VARIANTS) {
        tried++;
        const r = transform(endpoint, 1, replaced(c.body, leaf.steps, variant) as JsonObject, pseudonymizer);
        const text = JSON.stringify(r.body);
        for (const n of needles(variant)) expect({ at: id, what, leaked: text.includes(n) }).toEqual({ at: id, what, leaked: false });
        const reported = Object.keys(r.invalid).length + Object.keys(r.redacted).length + Object.keys(r.dropped).length + Object.keys(r.unknown).length;
        expect({ at: id, what, reported: reported > 0 }).toEqual({ at: id, what, reported: true });
      }
    }
  }
  // Both packs' allowed strings were reached (the automatisch events alone allow about 60 strings at level 1).
  expect(seen.size).toBeGreaterThan(150);
  expect(tried).toBe(seen.size * VARIANTS.length);
});
