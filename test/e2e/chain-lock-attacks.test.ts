/**
 * Attacks on the one-writer lock (SPEC §6), with real processes. An OS lock belongs to an inode: whoever
 * removes or replaces `<audit.dir>/locks/<chain>.lock` lets a second gateway lock a new inode while the
 * first still holds the old one. The first must notice and stop writing (503, nothing forwarded, a log
 * line naming the lock), so the chain the second writes still verifies whole. And a holder file that is a
 * FIFO or a link must neither hang a refused start nor make it name someone else.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { readAuditRecords } from '../helpers/audit-records';
import { runRefusedGateway, type GatewayProcess } from '../helpers/gateway-process';
import { useGatewayProcesses } from '../helpers/gateway-processes';

jest.setTimeout(60_000);

const gateways = useGatewayProcesses('telegate-lock-attack-');

const auditDir = (): string => path.join(gateways.dir, 'audit');
const lockFile = (): string => path.join(auditDir(), 'locks', 'default.lock');
const holderFile = (): string => path.join(auditDir(), 'locks', 'default.holder');
const { envFor } = gateways;
const start = (): Promise<GatewayProcess> => gateways.start();

function post(base: string): Promise<{ status: number }> {
  const body = JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-000000000001' });
  return new Promise((resolve, reject) => {
    const req = request(new URL('/snapshot', base), { method: 'POST', agent: false, headers: { 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}


async function waitForOutput(gw: GatewayProcess, text: string): Promise<void> {
  for (let i = 0; i < 200 && !gw.output().includes(text); i++) await new Promise((r) => setTimeout(r, 50));
}

describe.each([
  ['removed', async (): Promise<void> => { await unlink(lockFile()); }],
  ['replaced by another file', async (): Promise<void> => {
    await writeFile(`${lockFile()}.new`, '', { mode: 0o600 });
    await rename(`${lockFile()}.new`, lockFile());
  }],
])('the lock file %s while its gateway runs', (_how, tamper) => {
  test('the holder stops writing (503, nothing forwarded, a log line naming the lock); the new writer\'s chain verifies', async () => {
    const first = await start();
    const before = await post(first.url);
    expect(before.status).toBe(202);

    await tamper();
    // The lock is on a new inode now: a second gateway on the same chain can start.
    const second = await start();
    await waitForOutput(first, 'audit chain lock lost');
    expect(first.output()).toContain('audit chain lock lost');
    expect(first.output()).toContain(lockFile());

    const sent = gateways.vendor.received.length;
    const refused = await post(first.url);
    expect(refused.status).toBe(503);
    expect(gateways.vendor.received.length).toBe(sent);

    const after = await post(second.url);
    expect(after.status).toBe(202);
    expect(gateways.vendor.received.length).toBe(sent + 1);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    first.child.kill('SIGTERM');
    // The first could not write its stop record: it says so (exit 1), and wrote nothing into the chain.
    expect(await first.exited).toBe(1);

    const verified = await verifyAuditDir(auditDir());
    expect(verified.ok).toBe(true);
    const types = (await readAuditRecords(auditDir())).map((r) => String(r.record['type']));
    expect(types).toEqual(['start', 'policy', 'egress', 'outcome', 'start', 'policy', 'egress', 'outcome', 'stop']);
  });
});

test('a holder file that is a FIFO: a second gateway is refused at once (exit 2), not hung, and names no holder', async () => {
  const first = await start();
  await unlink(holderFile());
  execFileSync('mkfifo', [holderFile()]);
  const refused = await runRefusedGateway(envFor(), 15_000);
  expect(refused.code).toBe(2);
  expect(refused.output).toContain('audit chain "default"');
  expect(refused.output).toContain('holder file is missing or not a regular file');
  expect(first.child.exitCode).toBeNull();
});

test('a holder file that is a link to a file naming another pid: the refusal does not name that pid', async () => {
  const first = await start();
  const forged = path.join(gateways.dir, 'forged-holder.json');
  await writeFile(forged, `${JSON.stringify({ pid: 4242424, host: 'elsewhere', since: '2020-01-01T00:00:00.000Z' })}\n`);
  await unlink(holderFile());
  await symlink(forged, holderFile());
  const refused = await runRefusedGateway(envFor(), 15_000);
  expect(refused.code).toBe(2);
  expect(refused.output).not.toContain('4242424');
  expect(refused.output).toContain('holder file is missing or not a regular file');
  expect(first.child.exitCode).toBeNull();
});

test('a lock file that is a FIFO or a link: the start is refused at once (exit 2) naming the lock file, not hung', async () => {
  await mkdir(path.join(auditDir(), 'locks'), { recursive: true, mode: 0o700 });
  execFileSync('mkfifo', [lockFile()]);
  const fifo = await runRefusedGateway(envFor(), 15_000);
  expect(fifo.code).toBe(2);
  expect(fifo.output).toContain(lockFile());
  await unlink(lockFile());
  await symlink(path.join(gateways.dir, 'elsewhere.db'), lockFile());
  const link = await runRefusedGateway(envFor(), 15_000);
  expect(link.code).toBe(2);
  expect(link.output).toContain(lockFile());
  // Nothing was created where the link points.
  expect(await readdir(gateways.dir)).not.toContain('elsewhere.db');
});
