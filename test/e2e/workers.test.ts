/**
 * `workers: 2`: one supervising process and two workers on one egress port, as `telegate serve` runs
 * them. What a platform team relies on when it turns the setting on: every snapshot is judged and
 * recorded exactly as by one process, whichever worker took it (same pseudonyms: the vendor's joins hold);
 * each worker's chain verifies on its own; the admin port speaks for all workers (readiness, summed
 * metrics, a reload that reaches every worker or none); a worker that dies is replaced; SIGTERM closes
 * every chain.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyAuditDir } from '../../src/audit';
import { jsonEqual } from '../../src/policy/fixture-diff';
import { egressRecords, readAuditRecords, type ReadRecord } from '../helpers/audit-records';
import { POLICIES, TEST_HASH_KEY } from '../helpers/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { eventually, httpCall, jsonOf } from '../helpers/http-call';
import { exactJson, packFixture } from '../helpers/pack-fixture';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

jest.setTimeout(60_000);

const snapshot = packFixture('coder-snapshot');

/** As coderd posts a snapshot: Go's client, no Content-Type, a connection of its own. */
function postSnapshot(base: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/snapshot', base), {
      method: 'POST', agent: false,
      headers: { 'User-Agent': 'Go-http-client/1.1', 'X-Coder-Version': 'v2.24.1', 'Content-Length': String(body.length), 'Accept-Encoding': 'gzip' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Readiness {
  ready: boolean;
  policies: { vendor: string; digest: string }[];
  workers: { worker: number; pid: number | null; ready: boolean; audit_writable: boolean }[];
  last_reload: { ok: boolean; errors?: string[] } | null;
}

async function readiness(gw: GatewayProcess): Promise<Readiness> {
  return jsonOf(await httpCall(`${gw.adminUrl}/readyz`)) as Readiness;
}

/** The value of one series (`name` or `name{labels}`) in Prometheus text, or undefined. */
function series(metrics: string, name: string, labels = ''): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const chainsOf = (records: ReadRecord[]): string[] => [...new Set(records.map((r) => String(r.replica)))].sort();

let vendor: StandInVendor;
let dir: string;
let policies: string;
let gw: GatewayProcess;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-workers-'));
  policies = path.join(dir, 'policies');
  await cp(POLICIES, policies, { recursive: true });
  gw = await spawnGateway({
    TELEGATE_WORKERS: '2',
    TELEGATE_HASH_KEY: TEST_HASH_KEY,
    TELEGATE_POLICIES: policies,
    TELEGATE_AUDIT_DIR: path.join(dir, 'audit'),
    TELEGATE_DATA_DIR: path.join(dir, 'data'),
    TELEGATE_UPSTREAM_CODER: vendor.url,
    TELEGATE_LEVEL_CODER: '1',
  });
});

afterAll(async () => {
  // gw is unset when the start failed: the folder and the vendor still go.
  if (gw !== undefined && gw.child.exitCode === null) {
    gw.child.kill('SIGKILL');
    await gw.exited;
  }
  await vendor.close();
  await rm(dir, { recursive: true, force: true });
});

test('both workers serve the one port; each snapshot leaves as the policy made it, with identical pseudonyms, from two chains', async () => {
  const ready = await readiness(gw);
  expect(ready.ready).toBe(true);
  expect(ready.workers.map((w) => w.worker)).toEqual([1, 2]);
  expect(new Set(ready.workers.map((w) => w.pid)).size).toBe(2);

  for (let i = 0; i < 12; i++) expect(await postSnapshot(gw.url, snapshot.input)).toBe(202);

  expect(vendor.received).toHaveLength(12);
  const expected = snapshot.expected(1);
  for (const got of vendor.received) expect(jsonEqual(exactJson(got.body), expected)).toBe(true);
  // Byte for byte the same body, whichever worker judged it: one key, one serialization.
  expect(new Set(vendor.received.map((r) => r.body.toString('base64'))).size).toBe(1);

  const egress = egressRecords(await readAuditRecords(path.join(dir, 'audit')));
  expect(egress).toHaveLength(12);
  // Connections are handed to the workers in turn: both took some.
  expect(chainsOf(egress)).toEqual(['w1', 'w2']);
  for (const r of egress) expect(r.bodyBytes?.equals(vendor.received[0]!.body)).toBe(true);
});

test('/metrics sums the workers: every forwarded snapshot counted once, the policy digest once', async () => {
  const metrics = (await httpCall(`${gw.adminUrl}/metrics`)).body;
  expect(series(metrics, 'telegate_requests_total', '{vendor="coder",endpoint="/snapshot",level="1",decision="forwarded"}')).toBe(12);
  expect(series(metrics, 'telegate_workers')).toBe(2);
  expect(series(metrics, 'telegate_workers_running')).toBe(2);
  const digest = (await readiness(gw)).policies.find((p) => p.vendor === 'coder')!.digest;
  expect(series(metrics, 'telegate_policy_info', `{vendor="coder",digest="${digest}"}`)).toBe(1);
});

test('a reload reaches every worker: an edited policy is in force in both chains; a broken one in neither', async () => {
  const before = (await readiness(gw)).policies.find((p) => p.vendor === 'coder')!.digest;
  const file = path.join(policies, 'coder.yaml');
  const original = await readFile(file, 'utf8');

  await writeFile(path.join(policies, 'automatisch.yaml'), `${await readFile(path.join(policies, 'automatisch.yaml'), 'utf8')}\n# reviewed 2026-11-30\n`);
  const ok = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST' });
  expect(ok.status).toBe(200);
  const afterOk = await readiness(gw);
  expect(afterOk.ready).toBe(true);
  expect(afterOk.last_reload?.ok).toBe(true);
  const newAutomatisch = afterOk.policies.find((p) => p.vendor === 'automatisch')!.digest;
  const policyRecords = (await readAuditRecords(path.join(dir, 'audit'))).filter((r) => r.record['type'] === 'policy' && r.record['reload'] === true);
  for (const chain of ['w1', 'w2']) {
    const last = policyRecords.filter((r) => r.replica === chain).pop();
    expect(JSON.stringify(last?.record['policies'])).toContain(newAutomatisch);
  }

  await writeFile(file, `${original}\nrules: [this is not a rule\n`);
  const refused = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST' });
  expect(refused.status).toBe(422);
  expect(refused.body).toContain('coder.yaml');
  const afterBad = await readiness(gw);
  expect(afterBad.ready).toBe(true);
  expect(afterBad.policies.find((p) => p.vendor === 'coder')!.digest).toBe(before);
  await writeFile(file, original);

  // Still judged by the policy in force, in both workers.
  for (let i = 0; i < 4; i++) expect(await postSnapshot(gw.url, snapshot.input)).toBe(202);
  expect(jsonEqual(exactJson(vendor.received[vendor.received.length - 1]!.body), snapshot.expected(1))).toBe(true);
});

test('a worker killed with SIGKILL is replaced; the port keeps serving and its chain verifies after recovery', async () => {
  const before = await readiness(gw);
  const victim = before.workers[0]!;
  process.kill(victim.pid!, 'SIGKILL');
  // A scrape while a worker is down or starting answers with what the others have.
  const scrape = await httpCall(`${gw.adminUrl}/metrics`);
  expect(scrape.status).toBe(200);
  expect(scrape.body).toContain('telegate_requests_total');
  const after = await eventually('the killed worker replaced and ready', async () => {
    const r = await readiness(gw).catch(() => undefined);
    return r?.ready && r.workers[0]!.pid !== victim.pid && r.workers[0]!.pid !== null ? r : undefined;
  }, 15_000);
  expect(after.workers.every((w) => w.ready)).toBe(true);
  for (let i = 0; i < 4; i++) expect(await postSnapshot(gw.url, snapshot.input)).toBe(202);
  const metrics = (await httpCall(`${gw.adminUrl}/metrics`)).body;
  expect(series(metrics, 'telegate_worker_restarts_total')).toBe(1);
  expect(gw.output()).toContain('worker exited unasked; starting it again');
});

test('with no worker serving, a reload is checked by the supervisor: a broken set is refused, not reported as taken', async () => {
  const file = path.join(policies, 'coder.yaml');
  const original = await readFile(file, 'utf8');
  try {
    // The folder breaks, then both workers die: each restart fails on the broken folder.
    await writeFile(file, `${original}\nrules: [this is not a rule\n`);
    for (const w of (await readiness(gw)).workers) process.kill(w.pid!, 'SIGKILL');
    await eventually('no worker serving', async () => ((await readiness(gw)).workers.every((w) => !w.ready) ? true : undefined));
    const refused = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST' });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('coder.yaml');
  } finally {
    await writeFile(file, original);
  }
  // Repaired: the workers come back on their own, and the port serves again.
  await eventually('both workers serving again', async () => ((await readiness(gw)).ready ? true : undefined), 30_000);
  expect(await postSnapshot(gw.url, snapshot.input)).toBe(202);
});

test('SIGTERM stops the supervisor and both workers, one of them still starting: exit 0, every chain closed and whole, no error logged', async () => {
  const victim = (await readiness(gw)).workers[1]!;
  process.kill(victim.pid!, 'SIGKILL');
  // Its replacement is forked after a pause; the stop must reach it even while it starts.
  await eventually('the replacement forked', async () => {
    const pid = (await readiness(gw)).workers[1]!.pid;
    return pid !== null && pid !== victim.pid ? true : undefined;
  });
  const logged = gw.output().length;
  gw.child.kill('SIGTERM');
  expect(await gw.exited).toBe(0);
  expect(gw.output().slice(logged)).not.toMatch(/"level":50/);
  const verified = await verifyAuditDir(path.join(dir, 'audit'));
  expect(verified.ok).toBe(true);
  const records = await readAuditRecords(path.join(dir, 'audit'));
  for (const chain of ['w1', 'w2']) {
    expect(records.filter((r) => r.replica === chain).pop()?.record['type']).toBe('stop');
  }
  expect(egressRecords(records)).toHaveLength(21);
  expect(vendor.received).toHaveLength(21);
});

test('a policy set that does not load stops the start once, before any worker, with exit 2', async () => {
  const broken = await mkdtemp(path.join(tmpdir(), 'telegate-workers-broken-'));
  try {
    await cp(POLICIES, broken, { recursive: true });
    await writeFile(path.join(broken, 'coder.yaml'), 'vendor: coder\nendpoints: [\n');
    const failure = await spawnGateway({ TELEGATE_WORKERS: '2', TELEGATE_HASH_KEY: TEST_HASH_KEY, TELEGATE_POLICIES: broken, TELEGATE_AUDIT_DIR: path.join(broken, 'audit') }, 10_000)
      .then(() => 'started', (error: unknown) => (error instanceof Error ? error.message : String(error)));
    expect(failure).toMatch(/exited 2 before it was ready:[\s\S]*coder\.yaml:\d+:\d+/);
    expect(failure.match(/cannot start/g)).toHaveLength(1);
  } finally {
    await rm(broken, { recursive: true, force: true });
  }
});

test('workers whose supervisor was killed end at once, like a crash; a supervisor started again at once finds every chain recoverable', async () => {
  const own = await mkdtemp(path.join(tmpdir(), 'telegate-workers-orphans-'));
  const env = {
    TELEGATE_WORKERS: '2', TELEGATE_HASH_KEY: TEST_HASH_KEY, TELEGATE_POLICIES: POLICIES,
    TELEGATE_AUDIT_DIR: path.join(own, 'audit'), TELEGATE_UPSTREAM_CODER: vendor.url,
  };
  const started: GatewayProcess[] = [];
  const before = vendor.received.length;
  try {
    const killed = await spawnGateway(env);
    started.push(killed);
    // A vendor that answers late: requests are in flight in both workers when the supervisor dies.
    vendor.behave({ kind: 'delay', ms: 1_500, status: 202 });
    const inFlight = Array.from({ length: 4 }, () => postSnapshot(killed.url, snapshot.input).catch(() => 0));
    await eventually('the snapshots forwarded', async () => (vendor.received.length >= before + 4 ? true : undefined));
    const pids = (await readiness(killed)).workers.map((w) => w.pid!);
    killed.child.kill('SIGKILL');
    await killed.exited;
    // Started again at once, as a process manager would: no old worker may still be writing the chains.
    const again = await spawnGateway(env);
    started.push(again);
    // Running, not merely waiting to be reaped (a zombie, whose parent is gone, has ended).
    const alive = (pid: number): boolean => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
      } catch {
        return false;
      }
    };
    expect(pids.filter(alive)).toEqual([]);
    await Promise.all(inFlight);
    vendor.behave({ kind: 'reply', status: 202 });
    expect(await postSnapshot(again.url, snapshot.input)).toBe(202);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    const verified = await verifyAuditDir(path.join(own, 'audit'));
    expect(verified.ok).toBe(true);
    const records = await readAuditRecords(path.join(own, 'audit'));
    for (const chain of ['w1', 'w2']) expect(records.filter((r) => r.replica === chain).pop()?.record['type']).toBe('stop');
    // Every snapshot the vendor received has its forwarded record.
    const forwarded = egressRecords(records).filter((r) => r.record['decision'] === 'forwarded');
    expect(forwarded.length).toBe(vendor.received.length - before);
  } finally {
    vendor.behave({ kind: 'reply', status: 202 });
    for (const gateway of started) if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    await rm(own, { recursive: true, force: true });
  }
});
