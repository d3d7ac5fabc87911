/**
 * The smaller frictions of issue 15, each through the real thing: at level 0 a body over limits.body_bytes
 * still gets the vendor's usual reply (nothing is kept, nothing leaves); `audit search --vendor codr` says
 * that no record names such a vendor and which ones the log holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAuditWriter } from '../../src/audit';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { runCli } from '../helpers/cli-process';
import { startTestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor } from '../helpers/stand-in-vendor';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'telegate-details-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

test('level 0: a body over limits.body_bytes gets the vendor\'s usual reply; at level 1 the same body is refused 413', async () => {
  const vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  const gw = await startTestGateway({
    configYaml: 'limits: { body_bytes: 4096 }\n',
    env: { TELEGATE_LEVEL_CODER: '0', TELEGATE_LEVEL_AUTOMATISCH: '1', TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url },
  });
  try {
    const big = JSON.stringify({ users: Array.from({ length: 400 }, (_, i) => ({ id: `user-${i}` })) });
    expect(big.length).toBeGreaterThan(4096);
    // Coder's own success reply (the shipped pack's local_reply): 202, no body.
    const blocked = await httpCall(`${gw.url}/snapshot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(blocked.status).toBe(202);
    expect(blocked.body).toBe('');
    const judged = await httpCall(`${gw.url}/v1/batch`, { method: 'POST', headers: { host: 'telemetry.automatisch.io', 'content-type': 'application/json' }, body: big });
    expect(judged.status).toBe(413);
    expect(JSON.parse(judged.body)).toMatchObject({ error: 'body-too-large' });
    expect(vendor.received).toEqual([]);
    const records = egressRecords(await readAuditRecords(gw.auditDir));
    expect(records.map((r) => [r.record['vendor'], r.record['decision'], r.record['bytes']])).toEqual([['coder', 'blocked', 0], ['automatisch', 'rejected', 0]]);
  } finally {
    await gw.close();
    await vendor.close();
  }
});

test('audit search --vendor codr: no match, and a note naming the vendors the log holds', async () => {
  const audit = path.join(dir, 'audit');
  const writer = await openAuditWriter({ dir: audit, maxFileBytes: 1 << 20, fsync: false });
  for (const vendor of ['coder', 'automatisch']) {
    await writer.appendEgress({ id: `r-${vendor}`, vendor, endpoint: '/x', level: 0, policy: 'sha256:00', decision: 'blocked', client: '127.0.0.1', dropped: {}, hashed: {}, unknown: {} });
  }
  await writer.close();
  const r = await runCli(['audit', 'search', '--vendor', 'codr', audit]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('no records match\n');
  expect(r.stderr).toBe('telegate audit search: note: no record names vendor "codr"; the records read name automatisch, coder (did you mean coder?)\n');
  // A vendor the log does name, with no match for another filter: no such note.
  const quiet = await runCli(['audit', 'search', '--vendor', 'coder', '--decision', 'forwarded', audit]);
  expect(quiet.stdout).toBe('no records match\n');
  expect(quiet.stderr).toBe('');
});
