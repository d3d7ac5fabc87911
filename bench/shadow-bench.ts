/**
 * What a shadow level costs (vendors.<v>.shadow_level): the judge step as the gateway runs it, bytes in to
 * bytes out (parse, level-1 transform, serialize), with and without the shadow comparison against level 2
 * on the same parsed body, measured interleaved in one process. Small batches are where telegate spends
 * most of its CPU (RudderStack batches of a few events); a Coder snapshot shows the large end.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateCoderSnapshot } from './coder-snapshot-generator';
import { interleaved, table } from './measure';
import { parseJson } from '../src/json/parse';
import { serializeJson } from '../src/json/serialize';
import { createPseudonymizer, loadPolicySet, transform, type Endpoint, type JsonValue, type Pseudonymizer } from '../src/policy';
import { shadowDifference } from '../src/policy/shadow';

function judge(endpoint: Endpoint, body: Buffer, p: Pseudonymizer, shadow: boolean): Buffer {
  const parsed = parseJson(body, { maxDepth: 128 });
  if (!parsed.ok) throw new Error(parsed.error.detail);
  const result = transform(endpoint, 1, parsed.value, p);
  if (shadow) shadowDifference(endpoint, 1, 2, parsed.value);
  return Buffer.from(serializeJson(result.body as JsonValue), 'utf8');
}

export async function runShadowBench(out: (s: string) => void): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const loaded = await loadPolicySet([path.join(root, 'policies')]);
  if (!loaded.ok) throw new Error('the shipped policies do not load');
  const batch = loaded.value.policies.get('automatisch')!.endpoints.get('/v1/batch')!;
  const snapshot = loaded.value.policies.get('coder')!.endpoints.get('/snapshot')!;
  const p = createPseudonymizer(randomBytes(32));
  const cases: [string, Endpoint, Buffer, number][] = [
    ['RudderStack batch, 11 events (10 kB)', batch, readFileSync(path.join(root, 'policies', 'tests', 'automatisch-sdk1.input.json')), 2001],
    ['Coder snapshot, 50 users', snapshot, generateCoderSnapshot(50).body, 201],
    ['Coder snapshot, 500 users', snapshot, generateCoderSnapshot(500).body, 21],
  ];
  const rows: (string | number)[][] = [];
  for (const [name, endpoint, body, runs] of cases) {
    const [plain, shadowed] = interleaved([() => judge(endpoint, body, p, false), () => judge(endpoint, body, p, true)], runs, 5);
    const us = (ms: number): string => (ms * 1000).toFixed(1);
    rows.push([name, us(plain!.medianMs), us(shadowed!.medianMs), (shadowed!.medianMs / plain!.medianMs).toFixed(2)]);
  }
  out('Shadow level: the judge step (parse, level-1 transform, serialize) without and with the level-2 comparison (median µs)\n');
  out(`${table(['body', 'no shadow', 'shadow 2', 'ratio'], rows)}\n\n`);
}
