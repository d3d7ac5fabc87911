/**
 * limits.judge_budget_bytes: while large bodies hold the memory budget, another large body waits its
 * turn and, past limits.judge_wait_ms, is refused with 503 over-budget and Retry-After (nothing
 * forwarded, a rejected record); a small batch is served meanwhile; the body holding the budget is
 * judged and forwarded once it has arrived. Ordering comes from the budget gauge on /metrics, not timing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { openSocket, readReply } from '../helpers/raw-http';
import { expectRefusal, expectRejectedRecord } from '../helpers/refusal-checks';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BUDGET = 1_048_576;

let vendor: StandInVendor;
let gw: TestGateway;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_AUTOMATISCH: '0' },
    configYaml: `limits: { judge_budget_bytes: ${BUDGET}, judge_wait_ms: 300 }\n`,
  });
});

afterAll(async () => {
  await gw.close();
  await vendor.close();
});

/** A Coder snapshot of exactly `bytes` bytes: one long (allowed at level 2) deployment id. */
function snapshotOf(bytes: number): Buffer {
  const open = '{"deployment_id":"';
  return Buffer.from(`${open}${'d'.repeat(bytes - open.length - 2)}"}`);
}

async function budgetInUse(): Promise<number> {
  const text = (await httpCall(`${gw.adminUrl}/metrics`, { method: 'GET' })).body;
  return Number(/^telegate_judge_budget_bytes (\d+)/m.exec(text)?.[1] ?? 'NaN');
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

test('a large body that does not fit waits, then 503 over-budget with Retry-After; a small batch and the holder are served', async () => {
  const holderBody = snapshotOf(900_000);
  const host = new URL(gw.url).host;
  const socket = await openSocket(gw.url);
  try {
    const holderReply = readReply(socket);
    // The holder declares its length and sends half: it holds 900,000 bytes of the budget while it is read.
    socket.write(`POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nX-Coder-Version: v2.24.1\r\nContent-Length: ${holderBody.length}\r\n\r\n`);
    socket.write(holderBody.subarray(0, 450_000));
    await until(async () => (await budgetInUse()) >= 900_000);

    const before = vendor.received.length;
    const refused = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: snapshotOf(200_000), headers: { 'x-coder-version': 'v2.24.1' } });
    expectRefusal(refused, 503, 'over-budget');
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    await expectRejectedRecord(gw.auditDir, refused, 'over-budget');

    // A small snapshot (under 1/64 of the budget) fits beside the holder and is not queued behind anything.
    const small = JSON.stringify({ deployment_id: randomUUID() });
    const served = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: small, headers: { 'x-coder-version': 'v2.24.1' } });
    expect(served.status).toBe(202);
    expect(vendor.received.slice(before).map((r) => r.body.toString('utf8'))).toEqual([small]);

    socket.write(holderBody.subarray(450_000));
    expect((await holderReply).status).toBe(202);
    expect(vendor.received.at(-1)?.body.equals(holderBody)).toBe(true);
    await until(async () => (await budgetInUse()) === 0);
  } finally {
    socket.destroy();
  }
});

test('a body that decodes past the whole budget is refused 413 larger-than-budget, declared or compressed; nothing leaves, the gauge is back at 0', async () => {
  const before = vendor.received.length;
  // Declared past the budget: refused before its body is read.
  const declared = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: snapshotOf(BUDGET + 1), headers: { 'x-coder-version': 'v2.24.1' } });
  expectRefusal(declared, 413, 'larger-than-budget');
  await expectRejectedRecord(gw.auditDir, declared, 'larger-than-budget');
  // Small on the wire (gzip, within limits.inflate_ratio: random text compresses ~2×), past the budget once decoded.
  const big = Buffer.from(`{"deployment_id":"${randomBytes(BUDGET / 2).toString('hex')}"}`);
  const compressed = gzipSync(big);
  expect(big.length).toBeGreaterThan(BUDGET);
  expect(compressed.length).toBeLessThan(BUDGET);
  const gz = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: compressed, headers: { 'x-coder-version': 'v2.24.1', 'content-encoding': 'gzip' } });
  expectRefusal(gz, 413, 'larger-than-budget');
  await expectRejectedRecord(gw.auditDir, gz, 'larger-than-budget');
  expect(vendor.received.length).toBe(before);
  await until(async () => (await budgetInUse()) === 0);
});
