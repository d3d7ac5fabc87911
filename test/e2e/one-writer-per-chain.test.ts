/**
 * One writer per chain (SPEC §6), with real processes: a second gateway that would append to a chain a
 * live gateway writes refuses to start (exit 2) and names the holder (pid, host, since); a holder killed
 * with SIGKILL leaves nothing that blocks its restart; replicas with their own ids share a folder; the
 * chains of `workers` are locked the same way. Each chain still verifies whole afterwards, and a refused
 * gateway wrote nothing to it.
 */
import { request } from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { readAuditRecords } from '../helpers/audit-records';
import { runRefusedGateway, type GatewayProcess } from '../helpers/gateway-process';
import { useGatewayProcesses } from '../helpers/gateway-processes';
import { httpCall, jsonOf } from '../helpers/http-call';

jest.setTimeout(60_000);

const gateways = useGatewayProcesses('telegate-one-writer-');

const { envFor, start } = gateways;

function post(base: string): Promise<number> {
  const body = JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-000000000001' });
  return new Promise((resolve, reject) => {
    const req = request(new URL('/snapshot', base), { method: 'POST', agent: false, headers: { 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The records' types of one chain (replica id, or null for the unnamed one), in order. */
async function typesOf(chain: string | null): Promise<string[]> {
  return (await readAuditRecords(path.join(gateways.dir, 'audit'))).filter((r) => r.replica === chain).map((r) => String(r.record['type']));
}

async function stop(gw: GatewayProcess): Promise<void> {
  gw.child.kill('SIGTERM');
  expect(await gw.exited).toBe(0);
}

test('a second gateway on the same folder and chain exits 2, naming the holder; it wrote nothing and the first goes on', async () => {
  const first = await start();
  expect(await post(first.url)).toBe(202);
  const refused = await runRefusedGateway(envFor());
  expect(refused.code).toBe(2);
  expect(refused.output).toContain('cannot start');
  expect(refused.output).toContain('audit chain "default"');
  expect(refused.output).toContain(`pid ${first.child.pid!}`);
  expect(refused.output).toContain(`host ${hostname()}`);
  expect(refused.output).toMatch(/since \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/);

  expect(await post(first.url)).toBe(202);
  await stop(first);
  expect(await typesOf(null)).toEqual(['start', 'policy', 'egress', 'outcome', 'egress', 'outcome', 'stop']);
  expect((await verifyAuditDir(path.join(gateways.dir, 'audit'))).ok).toBe(true);
});

test('the holder killed with SIGKILL: a restart on the same chain starts at once and the chain verifies', async () => {
  const first = await start();
  expect(await post(first.url)).toBe(202);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');

  const started = Date.now();
  const second = await start();
  // Nothing to wait out: the kernel let the dead process's lock go.
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await post(second.url)).toBe(202);
  await stop(second);
  const types = await typesOf(null);
  expect(types.filter((t) => t === 'start')).toHaveLength(2);
  expect(types[types.length - 1]).toBe('stop');
  expect((await verifyAuditDir(path.join(gateways.dir, 'audit'))).ok).toBe(true);
});

test('two replicas with their own ids share one folder; a third with a taken id is refused', async () => {
  const a = await start({ TELEGATE_AUDIT_REPLICA: 'pod-a' });
  const b = await start({ TELEGATE_AUDIT_REPLICA: 'pod-b' });
  expect(await post(a.url)).toBe(202);
  expect(await post(b.url)).toBe(202);
  const refused = await runRefusedGateway(envFor({ TELEGATE_AUDIT_REPLICA: 'pod-b' }));
  expect(refused.code).toBe(2);
  expect(refused.output).toContain('audit chain "pod-b"');
  expect(refused.output).toContain(`pid ${b.child.pid!}`);
  await stop(a);
  await stop(b);
  const verified = await verifyAuditDir(path.join(gateways.dir, 'audit'));
  expect(verified.ok).toBe(true);
  expect(verified.chains.map((c) => c.replica).sort()).toEqual(['pod-a', 'pod-b']);
});

interface Readiness { workers: { worker: number; pid: number | null; ready: boolean }[]; ready: boolean }
const readiness = async (gw: GatewayProcess): Promise<Readiness> => jsonOf(await httpCall(`${gw.adminUrl}/readyz`)) as Readiness;

test('workers: a second gateway with workers on the same chains exits 2 naming a worker; a worker killed is restarted and takes its chain back', async () => {
  const first = await start({ TELEGATE_WORKERS: '2' });
  const workers = (await readiness(first)).workers;
  const refused = await runRefusedGateway(envFor({ TELEGATE_WORKERS: '2' }));
  expect(refused.code).toBe(2);
  expect(refused.output).toMatch(/audit chain "w[12]"/);
  expect(workers.some((w) => refused.output.includes(`pid ${w.pid!}`))).toBe(true);

  // The supervisor restarts a crashed worker; its chain's lock died with it.
  const victim = workers[0]!;
  process.kill(victim.pid!, 'SIGKILL');
  const deadline = Date.now() + 20_000;
  let after = await readiness(first);
  while (!(after.ready && after.workers[0]!.pid !== victim.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    after = await readiness(first).catch(() => after);
  }
  expect(after.ready).toBe(true);
  for (let i = 0; i < 4; i++) expect(await post(first.url)).toBe(202);
  await stop(first);
  expect((await typesOf('w1')).filter((t) => t === 'start')).toHaveLength(2);
  expect((await verifyAuditDir(path.join(gateways.dir, 'audit'))).ok).toBe(true);
});
