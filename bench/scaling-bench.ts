/**
 * Linear cost (issue 14 pt 3): each step of the road — parse, policy (transform with its report), serialize
 * and audit record encoding — on inputs of size n and 2n, as cost(2n) / cost(n). Linear is 2; the goal is
 * at most ~2.2. The inputs are the shapes that once grew faster than their size: a Coder snapshot (many
 * users), distinct unknown keys (the report), empty objects (values), long strings, big integers.
 * Medians of interleaved runs in one process; on a shared machine the figures are noisy.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { encodeRecord } from '../src/audit/chain';
import { egressMembers } from '../src/audit/record-members';
import { parseJson } from '../src/json/parse';
import { serializeJson } from '../src/json/serialize';
import { createPseudonymizer, type JsonValue, type Pseudonymizer, transform, type Endpoint } from '../src/policy';
import { generateCoderSnapshot } from './coder-snapshot-generator';
import { interleaved, table } from './measure';
import { snapshotEndpoint } from './transform-bench';

interface Input { name: string; make: (scale: number) => Buffer; base: number }

const INPUTS: Input[] = [
  { name: 'Coder snapshot (users)', make: (n) => generateCoderSnapshot(n).body, base: 500 },
  { name: 'distinct unknown keys', make: (n) => Buffer.from(`{${Array.from({ length: n }, (_, i) => `"k${i}":${i % 10}`).join(',')}}`), base: 50_000 },
  { name: 'empty objects in an allowed array', make: (n) => Buffer.from(`{"users":[${Array.from({ length: n }, () => '{}').join(',')}]}`), base: 200_000 },
  { name: 'one long string (hashed)', make: (n) => Buffer.from(`{"deployment_id":"${'a'.repeat(n)}"}`), base: 4_000_000 },
  { name: '20-digit integers', make: (n) => Buffer.from(`{"network_events":[${Array.from({ length: n }, (_, i) => `{"node_id_self":${18446744073709551615n - BigInt(i)}}`).join(',')}]}`), base: 20_000 },
];

type Step = 'parse' | 'policy' | 'serialize' | 'audit';
const STEPS: Step[] = ['parse', 'policy', 'serialize', 'audit'];

function stepsOf(endpoint: Endpoint, body: Buffer, p: Pseudonymizer): Record<Step, () => unknown> {
  const parse = () => {
    const parsed = parseJson(body, { maxDepth: 128, maxValues: 5_000_000 });
    if (!parsed.ok) throw new Error(parsed.error.detail);
    return parsed;
  };
  const { value: tree, negativeZero } = parse();
  const result = transform(endpoint, 1, tree, p);
  const text = serializeJson(result.body as JsonValue, { negativeZero });
  const bytes = Buffer.from(text, 'utf8');
  const head = { nextSeq: 1, prev: '0'.repeat(64) };
  return {
    parse,
    policy: () => transform(endpoint, 1, tree, p),
    serialize: () => Buffer.from(serializeJson(result.body as JsonValue, { negativeZero }), 'utf8'),
    audit: () => encodeRecord(head as never, new Date().toISOString(), 'egress', egressMembers({
      id: 'x', vendor: 'coder', endpoint: '/snapshot', level: 1, policy: 'p', decision: 'forwarded', client: '127.0.0.1',
      headers: {}, bodyBytes: bytes, dropped: result.dropped, hashed: result.hashed, unknown: result.unknown,
      invalid: result.invalid, redacted: result.redacted, detections: result.detections, unlisted: result.unlisted,
    })),
  };
}

export async function runScalingBench(out: (s: string) => void): Promise<void> {
  const endpoint = await snapshotEndpoint(path.resolve(__dirname, '..', '..', 'policies'));
  const p = createPseudonymizer(randomBytes(32));
  const rows: (string | number)[][] = [];
  for (const input of INPUTS) {
    const small = input.make(input.base);
    const large = input.make(input.base * 2);
    const a = stepsOf(endpoint, small, p);
    const b = stepsOf(endpoint, large, p);
    const cells: string[] = [];
    for (const step of STEPS) {
      const [sa, sb] = interleaved([a[step], b[step]], 11, 2);
      cells.push(`${sa!.medianMs.toFixed(1)} → ${sb!.medianMs.toFixed(1)} (${(sb!.medianMs / Math.max(0.01, sa!.medianMs)).toFixed(2)})`);
    }
    rows.push([input.name, `${(small.length / 1e6).toFixed(1)} → ${(large.length / 1e6).toFixed(1)}`, ...cells]);
  }
  out('Doubling (issue 14 pt 3): ms at n → 2n, (ratio); linear = 2.00, goal <= ~2.2; medians of 11 interleaved runs, noisy\n');
  out(`${table(['input', 'MB', 'parse', 'policy + report', 'serialize', 'audit record'], rows)}\n\n`);
}

if (require.main === module) {
  runScalingBench((s) => process.stdout.write(s)).catch((error: unknown) => {
    process.stderr.write(`scaling bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
