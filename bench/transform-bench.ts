/**
 * Transform cost: bytes in, bytes out, as the gateway does it (parseJson + level-1 policy + serializeJson
 * + UTF-8 encode) on a generated Coder snapshot, against the floor measured in the same process on the
 * same bytes: decode + JSON.parse + JSON.stringify + encode, which any JSON-rewriting proxy must pay.
 * Ratios per size make linearity visible. The gateway keeps one pseudonymizer for its lifetime, so "warm"
 * (the cache already holds last snapshot's identifiers, as on Coder's 30-minute cycle) is the steady
 * state; "cold" is a fresh pseudonymizer for every run (first snapshot after a start).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateCoderSnapshot } from './coder-snapshot-generator';
import { interleaved, table } from './measure';
import { parseJson } from '../src/json/parse';
import { serializeJson } from '../src/json/serialize';
import { createPseudonymizer, loadPolicySet, transform, type Endpoint, type JsonValue, type Pseudonymizer } from '../src/policy';

export async function snapshotEndpoint(policiesDir: string): Promise<Endpoint> {
  const loaded = await loadPolicySet([policiesDir]);
  if (!loaded.ok) throw new Error(`policies do not load: ${JSON.stringify(loaded.errors[0])}`);
  const endpoint = loaded.value.policies.get('coder')?.endpoints.get('/snapshot');
  if (!endpoint) throw new Error('the coder policy has no /snapshot endpoint');
  return endpoint;
}

/** The gateway's road from the bytes received to the bytes sent upstream. */
export function telegateTransform(endpoint: Endpoint, body: Buffer, p: Pseudonymizer): Buffer {
  const parsed = parseJson(body, { maxDepth: 128 });
  if (!parsed.ok) throw new Error(parsed.error.detail);
  const result = transform(endpoint, 1, parsed.value, p);
  return Buffer.from(serializeJson(result.body as JsonValue), 'utf8');
}

function floor(body: Buffer): Buffer {
  return Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))), 'utf8');
}

/** Runs per size: enough for a stable median, few enough that 5,000 users stays within a few seconds. */
function runsFor(users: number): number {
  return users >= 5000 ? 7 : users >= 500 ? 21 : 101;
}

export async function runTransformBench(sizes: number[], out: (s: string) => void): Promise<void> {
  const endpoint = await snapshotEndpoint(path.resolve(__dirname, '..', '..', 'policies'));
  const key = randomBytes(32);
  const rows: (string | number)[][] = [];
  for (const users of sizes) {
    const { body } = generateCoderSnapshot(users);
    const warm = createPseudonymizer(key);
    const [f, w, c] = interleaved([
      () => floor(body),
      () => telegateTransform(endpoint, body, warm),
      () => telegateTransform(endpoint, body, createPseudonymizer(key)),
    ], runsFor(users));
    const mb = body.length / 1e6;
    rows.push([`${users} users (${mb.toFixed(1)} MB)`, f!.medianMs.toFixed(1), w!.medianMs.toFixed(1),
      (w!.medianMs / f!.medianMs).toFixed(2), c!.medianMs.toFixed(1), (c!.medianMs / f!.medianMs).toFixed(2),
      (mb / (w!.medianMs / 1000)).toFixed(0)]);
  }
  out('Transform, bytes to bytes: level-1 Coder snapshot vs decode+JSON.parse+JSON.stringify+encode floor (median ms)\n');
  out(`${table(['body', 'floor', 'warm', 'warm/floor', 'cold', 'cold/floor', 'MB/s warm'], rows)}\n\n`);
}
