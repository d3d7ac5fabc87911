/**
 * Transform cost: parse + level-1 policy + serialize of a Coder snapshot, against the floor measured in
 * the same process on the same bytes: JSON.parse + JSON.stringify (including the bytes -> string decode
 * both sides must do). The gateway keeps one pseudonymizer for its lifetime, so "warm" (the cache already
 * holds last snapshot's identifiers, as on Coder's 30-minute cycle) is the steady state; "cold" is a
 * fresh pseudonymizer for every run.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateCoderSnapshot } from './coder-snapshot-generator';
import { interleaved, table } from './measure';
import { parseJson } from '../src/json/parse';
import { serializeJson } from '../src/json/serialize';
import { createPseudonymizer, loadPolicySet, transform, type Endpoint, type JsonValue } from '../src/policy';

export async function snapshotEndpoint(policiesDir: string): Promise<Endpoint> {
  const loaded = await loadPolicySet([policiesDir]);
  if (!loaded.ok) throw new Error(`policies do not load: ${JSON.stringify(loaded.errors[0])}`);
  const endpoint = loaded.value.policies.get('coder')?.endpoints.get('/snapshot');
  if (!endpoint) throw new Error('the coder policy has no /snapshot endpoint');
  return endpoint;
}

export async function runTransformBench(sizes: number[], out: (s: string) => void): Promise<void> {
  const endpoint = await snapshotEndpoint(path.resolve(__dirname, '..', '..', 'policies'));
  const key = randomBytes(32);
  const rows: (string | number)[][] = [];
  for (const users of sizes) {
    const { body } = generateCoderSnapshot(users);
    const runs = users >= 5000 ? 5 : users >= 500 ? 15 : 60;
    const warm = createPseudonymizer(key);
    const floor = () => JSON.stringify(JSON.parse(body.toString('utf8')));
    const telegate = (p: ReturnType<typeof createPseudonymizer>) => () => {
      const parsed = parseJson(body, { maxDepth: 128 });
      if (!parsed.ok) throw new Error(parsed.error.detail);
      const result = transform(endpoint, 1, parsed.value, p);
      return serializeJson(result.body as JsonValue);
    };
    const [f, w, c] = interleaved([floor, telegate(warm), () => telegate(createPseudonymizer(key))()], runs);
    rows.push([`${users} users (${(body.length / 1e6).toFixed(1)} MB)`, f!.medianMs.toFixed(1), w!.medianMs.toFixed(1),
      (w!.medianMs / f!.medianMs).toFixed(2), c!.medianMs.toFixed(1), (c!.medianMs / f!.medianMs).toFixed(2),
      ((body.length / 1e6) / (w!.medianMs / 1000)).toFixed(0)]);
  }
  out('Transform: level-1 Coder snapshot vs JSON.parse+JSON.stringify floor (median ms)\n');
  out(`${table(['body', 'floor', 'telegate warm', 'ratio', 'telegate cold', 'ratio', 'MB/s warm'], rows)}\n\n`);
}

export function runPseudonymBench(out: (s: string) => void): void {
  const key = randomBytes(32);
  const n = 200_000;
  const uuids = Array.from({ length: n }, (_, i) => `b1000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
  const emails = Array.from({ length: n / 4 }, (_, i) => `user${i}@example.com`);
  const ips = Array.from({ length: n / 4 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const rate = (values: string[], p: ReturnType<typeof createPseudonymizer>) => {
    const start = performance.now();
    for (const v of values) p.pseudonymize(v);
    return values.length / ((performance.now() - start) / 1000);
  };
  const p = createPseudonymizer(key);
  const rows = [
    ['UUID, distinct (cache miss)', rate(uuids, createPseudonymizer(key, { cacheSize: 0 }))],
    ['UUID, repeated (cache hit)', (rate(uuids.slice(0, 50_000), p), rate(uuids.slice(0, 50_000), p))],
    ['e-mail, distinct', rate(emails, createPseudonymizer(key, { cacheSize: 0 }))],
    ['IPv4, distinct', rate(ips, createPseudonymizer(key, { cacheSize: 0 }))],
  ].map(([label, r]) => [label as string, Math.round(r as number).toLocaleString('en-US')]);
  out('Pseudonymization rate (values/s)\n');
  out(`${table(['values', 'per second'], rows)}\n\n`);
}
