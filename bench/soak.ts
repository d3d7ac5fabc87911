/**
 * Soak: telegate as production runs it (`node bin/telegate.js serve`, a child process, the shipped
 * policies, fsync on) under a steady mixed load for SOAK_SECONDS (default 600): Coder snapshots of 1-20
 * users with fresh ids each time (the pseudonym cache keeps meeting new values), RudderStack batches
 * (Automatisch, some gzipped as SDK 3.x sends them), and bad bodies (truncated, mislabelled gzip, an
 * inexact number, too deep, an unknown path). The gateway's RSS and heap are sampled every
 * SOAK_SAMPLE_SECONDS (10) from its own /metrics. At the end: requests and errors by status, latency,
 * the memory curve, and the verdict: memory is flat when the last third's mean RSS and heap are within
 * 10 % of the middle third's (the first third is warm-up). Exit 1 when it is not, or when a request got
 * an answer its body does not deserve (a 5xx, or a good body refused), or the audit log does not verify.
 *
 *   SOAK_SECONDS=600 npm run soak      (SOAK_RPS=40 requests per second, SOAK_CONCURRENCY=8, SOAK_KEEP=1 keeps the folder)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { verifyAuditDir } from '../src/audit';
import { generateCoderSnapshot } from './coder-snapshot-generator';
import { table } from './measure';
import { freePort } from './proxy/processes';

const ROOT = path.resolve(__dirname, '..', '..');
const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 600);
const RPS = Number(process.env['SOAK_RPS'] ?? 40);
const CONCURRENCY = Number(process.env['SOAK_CONCURRENCY'] ?? 8);
const SAMPLE_SECONDS = Number(process.env['SOAK_SAMPLE_SECONDS'] ?? 10);
const FLAT_WITHIN = 0.10;

interface Shot { kind: string; path: string; body: Buffer; headers: Record<string, string>; expect: number }
interface MemorySample { t: number; rssMb: number; heapMb: number; requests: number }

// ---- the traffic ------------------------------------------------------------------------------------

const snapshots = [1, 5, 20].map((users) => generateCoderSnapshot(users).body.toString('utf8'));
const rudderBatch = readFileSync(path.join(ROOT, 'policies', 'tests', 'automatisch-sdk1.input.json'), 'utf8');

function coderShot(n: number): Shot {
  // Fresh ids in every entity: `-0000-4000-8000-` is the generator's fixed middle.
  const fresh = (n & 0xffff).toString(16).padStart(4, '0');
  const text = snapshots[n % snapshots.length]!.replaceAll('-0000-4000-8000-', `-${fresh}-4000-8000-`).replace(/"deployment_id":"[^"]*"/, `"deployment_id":"${randomUUID()}"`);
  return { kind: 'coder snapshot', path: '/snapshot', body: Buffer.from(text), headers: { 'x-coder-version': 'v2.24.1' }, expect: 202 };
}

function rudderShot(n: number): Shot {
  const batch = JSON.parse(rudderBatch) as { batch: Record<string, unknown>[] };
  for (const message of batch.batch) message['messageId'] = randomUUID();
  const text = Buffer.from(JSON.stringify(batch));
  const auth = { authorization: `Basic ${Buffer.from('soak-write-key:').toString('base64')}` };
  return n % 2 === 0
    ? { kind: 'rudderstack batch', path: '/v1/batch', body: text, headers: { 'content-type': 'application/json', ...auth }, expect: 200 }
    : { kind: 'rudderstack batch gzip', path: '/v1/batch', body: gzipSync(text), headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', ...auth }, expect: 200 };
}

const BAD: ((n: number) => Shot)[] = [
  () => ({ kind: 'bad: truncated', path: '/snapshot', body: Buffer.from('{"deployment_id":"x","users":[{"id":'), headers: {}, expect: 400 }),
  () => ({ kind: 'bad: mislabelled gzip', path: '/v1/batch', body: Buffer.from('{"batch":[]}'), headers: { 'content-encoding': 'gzip' }, expect: 400 }),
  () => ({ kind: 'bad: inexact number', path: '/snapshot', body: Buffer.from('{"deployment_id":"x","n":1e400}'), headers: {}, expect: 422 }),
  () => ({ kind: 'bad: too deep', path: '/snapshot', body: Buffer.from(`{"a":${'['.repeat(300)}${']'.repeat(300)}}`), headers: {}, expect: 422 }),
  () => ({ kind: 'bad: unknown path', path: '/nowhere', body: Buffer.from('{}'), headers: {}, expect: 404 }),
];

/** 60 % Coder, 30 % RudderStack, 10 % bad bodies. */
function shot(n: number): Shot {
  const r = n % 20;
  if (r < 12) return coderShot(n);
  if (r < 18) return rudderShot(n);
  return BAD[Math.floor(n / 20) % BAD.length]!(n);
}

function send(url: string, s: Shot): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}${s.path}`, { method: 'POST', headers: { ...s.headers, 'content-length': String(s.body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(s.body);
  });
}

// ---- the stand-in vendor and the gateway ------------------------------------------------------------------

async function standInVendor(): Promise<{ server: Server; url: string; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      if (req.url?.startsWith('/v1/batch')) res.end('OK');
      else { res.writeHead(202); res.end(); }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'telegate-soak-'));
  const vendor = await standInVendor();
  const port = await freePort();
  const adminPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const auditDir = path.join(dir, 'audit');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'telegate.js'), 'serve'], {
    env: {
      PATH: process.env['PATH'] ?? '', TELEGATE_PORT: String(port), TELEGATE_ADMIN_PORT: String(adminPort),
      TELEGATE_AUDIT_DIR: auditDir, TELEGATE_DATA_DIR: path.join(dir, 'data'), TELEGATE_POLICIES: path.join(ROOT, 'policies'),
      TELEGATE_HASH_KEY: 'soak-hash-key-0123456789abcdef', TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_UPSTREAM_AUTOMATISCH: vendor.url,
      TELEGATE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output = (output + c.toString('utf8')).slice(-20_000); });
  child.stderr.on('data', (c: Buffer) => { output = (output + c.toString('utf8')).slice(-20_000); });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`telegate exited before it was ready:\n${output}`);
    if (await fetch(`${adminUrl}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error(`telegate not ready:\n${output}`);
    await sleep(50);
  }
  process.stdout.write(`soak: ${SECONDS} s at ${RPS} req/s, ${CONCURRENCY} connections at most, gateway pid ${child.pid}, folder ${dir}\n`);

  const statuses = new Map<string, number>();
  const wrong: string[] = [];
  const latencies: number[] = [];
  let sent = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  // Request n leaves at started + n / RPS: a steady rate whatever the latency, bounded by CONCURRENCY.
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      const due = started + (n * 1000) / RPS;
      if (due >= deadline) return;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const s = shot(n);
      const { status, ms } = await send(url, s);
      sent++;
      latencies.push(ms);
      const key = `${s.kind} -> ${status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (status !== s.expect && wrong.length < 20) wrong.push(`${s.kind}: expected ${s.expect}, got ${status}`);
    }
  };

  const samples: MemorySample[] = [];
  const sampler = (async () => {
    for (;;) {
      const t = (performance.now() - started) / 1000;
      const text = await fetch(`${adminUrl}/metrics`).then((r) => r.text(), () => '');
      const rss = metricValue(text, 'telegate_process_resident_memory_bytes');
      const heap = metricValue(text, 'telegate_nodejs_heap_size_used_bytes');
      if (rss !== undefined && heap !== undefined) {
        const s = { t: Math.round(t), rssMb: rss / 2 ** 20, heapMb: heap / 2 ** 20, requests: sent };
        samples.push(s);
        process.stdout.write(`  t=${String(s.t).padStart(4)} s  rss ${s.rssMb.toFixed(1).padStart(6)} MB  heap ${s.heapMb.toFixed(1).padStart(6)} MB  requests ${s.requests}\n`);
      }
      if (performance.now() + SAMPLE_SECONDS * 1000 > deadline + 500) return;
      await sleep(SAMPLE_SECONDS * 1000);
    }
  })();

  await Promise.all([...Array.from({ length: CONCURRENCY }, worker), sampler]);
  const elapsed = (performance.now() - started) / 1000;
  child.kill('SIGTERM');
  const exit = await exited;
  const verify = await verifyAuditDir(auditDir);
  vendor.server.close();

  const byStatus = new Map<number, number>();
  for (const [key, n] of statuses) {
    const status = Number(key.split(' -> ')[1]);
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
  }
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const ratio = (pick: (s: MemorySample) => number): number => mean(last.map(pick)) / mean(middle.map(pick));
  const rssRatio = ratio((s) => s.rssMb);
  const heapRatio = ratio((s) => s.heapMb);
  const flat = third > 0 && rssRatio <= 1 + FLAT_WITHIN && heapRatio <= 1 + FLAT_WITHIN;

  const out: string[] = [];
  out.push(`\nrequests: ${sent} in ${elapsed.toFixed(0)} s (${(sent / elapsed).toFixed(1)}/s); vendor received ${vendor.received()}`);
  out.push(`by status: ${[...byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  out.push(table(['request', 'count'], [...statuses].sort().map(([k, n]) => [k, n])));
  out.push(`latency ms: p50 ${percentile(latencies, 0.5).toFixed(1)}, p99 ${percentile(latencies, 0.99).toFixed(1)}, max ${percentile(latencies, 1).toFixed(1)}`);
  out.push(`memory (first third is warm-up): middle third mean rss ${mean(middle.map((s) => s.rssMb)).toFixed(1)} MB, heap ${mean(middle.map((s) => s.heapMb)).toFixed(1)} MB; ` +
    `last third rss ${mean(last.map((s) => s.rssMb)).toFixed(1)} MB (x${rssRatio.toFixed(3)}), heap ${mean(last.map((s) => s.heapMb)).toFixed(1)} MB (x${heapRatio.toFixed(3)})`);
  out.push(`verdict: memory ${flat ? 'FLAT' : 'NOT FLAT'} (last third within ${FLAT_WITHIN * 100} % of the middle third${third === 0 ? '; too few samples: run longer' : ''})`);
  out.push(`answers: ${wrong.length === 0 ? 'every request got the answer its body deserves' : `WRONG:\n  ${wrong.join('\n  ')}`}`);
  out.push(`gateway exit on SIGTERM: ${String(exit)}; audit verify: ${verify.ok ? 'ok' : `FAILED ${JSON.stringify(verify.firstError)}`}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (process.env['SOAK_KEEP'] === undefined) await rm(dir, { recursive: true, force: true });
  return flat && wrong.length === 0 && verify.ok && exit === 0 ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
