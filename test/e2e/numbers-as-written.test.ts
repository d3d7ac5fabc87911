/**
 * SPEC §5: "Values that pass are not silently altered." Numbers an instance sends in allowed fields reach
 * the vendor with the value they were written with — negative zero keeps its sign, big integers keep
 * every digit — through the whole pipeline (parse, policy, serialization, audit record, upstream), and
 * the audit record holds the same bytes the vendor got.
 *
 * The expected values are derived here, by hand: a JSON number's value is its sign, its decimal mantissa
 * and its power of ten (RFC 8259 §6), so two spellings denote one value exactly when those agree after
 * trailing zeros are moved into the power; a zero keeps its sign (IEEE 754: -0 and 0 differ).
 */
import { randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

let vendor: StandInVendor;
let gw: TestGateway;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({ env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url } });
});

afterAll(async () => {
  await gw.close();
  await vendor.close();
});

/** The exact value of a JSON number token: `-0`, `0`, or `<signed mantissa>e<power>` with no trailing zeros. */
function exactValue(token: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!m) throw new Error(`not a JSON number: ${token}`);
  let mantissa = BigInt(`${m[2]}${m[3] ?? ''}`);
  let power = Number(m[4] ?? 0) - (m[3] ?? '').length;
  if (mantissa === 0n) return m[1] === '-' ? '-0' : '0';
  while (mantissa % 10n === 0n) { mantissa /= 10n; power++; }
  return `${m[1]}${mantissa}e${power}`;
}

// Allowed at level 2 by the shipped Coder policy as any number (workspace_agent_stats[*].connection_latency_50,
// a float64 in Coder's source; an integer-typed field would rightly refuse the fractions).
const TOKENS = [
  '-0', '-0.0', '-0e5', '-0.000E-3', '0', '0.0', '1.0', '1e2', '-1.5e300', '5e-324', '0.1', '1E-7', '2.5e-5',
  '9007199254740993', '-9007199254740993', '18446744073709551615', '123.456',
];

test('every number in an allowed field reaches the vendor with its value as written, -0 included, and the record holds those bytes', async () => {
  const text = `{"deployment_id":"${randomUUID()}","workspace_agent_stats":[${TOKENS.map((t) => `{"connection_latency_50":${t}}`).join(',')}]}`;
  const before = vendor.received.length;
  const reply = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
  expect(reply.status).toBe(202);
  expect(vendor.received.length).toBe(before + 1);
  const sent = vendor.received[before]!.body.toString('utf8');
  const tokens = [...sent.matchAll(/"connection_latency_50":([^,}]+)/g)].map((m) => m[1]!);
  expect(tokens.map(exactValue)).toEqual(TOKENS.map(exactValue));
  // Negative zero in particular is written as JSON writes it, with its sign.
  expect(tokens.slice(0, 4)).toEqual(['-0', '-0', '-0', '-0']);

  const record = egressRecords(await readAuditRecords(gw.auditDir)).find((r) => r.record['id'] === reply.headers['x-request-id']);
  expect(record?.record['decision']).toBe('forwarded');
  expect(record?.bodyBytes?.toString('utf8')).toBe(sent);
});
