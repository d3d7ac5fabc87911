/**
 * `npm run bench -- stall` (node dist/bench/snapshot-stall-bench.js [--users N] [--seconds N] [--before DIR] [--no-fsync]):
 * what large Coder snapshots cost everyone else (issue 14). For each build (this one, and another
 * checkout's as "before" when given), in one run:
 *   - small RudderStack batches at 100/s (open loop) and admin /healthz every 50 ms, while two snapshots
 *     at a time are judged, back to back: p99 and max of each;
 *   - peak RSS above idle while one snapshot passes, and while two pass at once, as multiples of the body;
 *   - one snapshot's end-to-end time against the floor: a fresh node process that reads the file,
 *     JSON.parse, JSON.stringify and sha256 (whole process, as telegate's time is a whole request).
 * Goals: small-batch p99 <= 100 ms, /healthz always <= 100 ms, peak <= 4x the body, end-to-end <= 2x floor.
 * The machine is shared: figures are noisy, ratios measured in one run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { table } from './measure';
import { RUDDER_AUTHORIZATION, writeBodies } from './proxy/bodies';
import { post } from './proxy/memory';
import type { OpenLoopResult } from './proxy/open-loop';
import { readRss, resetPeak } from './proxy/rss';
import { startStandIn, startTelegate } from './proxy/targets';

const RUDDER_HEADERS = { 'Content-Type': 'application/json', Authorization: RUDDER_AUTHORIZATION, 'User-Agent': 'analytics-node/1.1.5' };
const CODER_HEADERS = { 'User-Agent': 'Go-http-client/1.1', 'X-Coder-Version': 'v2.20.0' };
const OPEN_LOOP = path.join(__dirname, 'proxy', 'open-loop.js');

interface StallResult {
  build: string;
  batchP99: number; batchMax: number; batchFailed: number;
  healthP99: number; healthMax: number; snapshots: number;
  idleMb: number; oneMultiple: number; twoMultiple: number;
  endToEndMs: number;
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end();
  });
}

function openLoop(load: object): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [OPEN_LOOP, JSON.stringify(load)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`open-loop failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as OpenLoopResult);
    });
  });
}

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** The floor: one node process reading, parsing, stringifying and hashing the file; its wall time. */
function floorMs(file: string): number {
  const script = `const t=performance.now();const b=require('fs').readFileSync(${JSON.stringify(file)});const s=JSON.stringify(JSON.parse(b.toString('utf8')));require('crypto').createHash('sha256').update(s).digest('hex');process.stdout.write(String(performance.now()-t))`;
  const runs = [0, 1, 2].map(() => Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })));
  return pct(runs, 50);
}

async function measureBuild(build: string, bin: string | undefined, dir: string, upstream: string, files: { batchFile: string; snapshotFile: string }, seconds: number, fsync: boolean): Promise<StallResult> {
  const t = await startTelegate({ dir, upstream, fsync, ...(bin === undefined ? {} : { bin }) });
  try {
    const snapshot = readFileSync(files.snapshotFile);
    const batch = readFileSync(files.batchFile);
    for (let i = 0; i < 50; i++) await post(`${t.url}/v1/batch`, batch, RUDDER_HEADERS);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = readRss(t.child.pid).rssBytes;
    // One snapshot alone: its end-to-end time and its peak (the first also warms the code paths).
    const ends: number[] = [];
    const onePeaks: number[] = [];
    for (let i = 0; i < 3; i++) {
      resetPeak(t.child.pid);
      const t0 = performance.now();
      const status = await post(`${t.url}/snapshot`, snapshot, CODER_HEADERS);
      if (status !== 202) throw new Error(`${build}: snapshot answered ${status}`);
      ends.push(performance.now() - t0);
      onePeaks.push(readRss(t.child.pid).hwmBytes);
    }
    // Two at once, back to back, while batches and /healthz come in.
    resetPeak(t.child.pid);
    let running = true;
    let snapshots = 0;
    const pair = async (): Promise<void> => {
      while (running) {
        await Promise.all([post(`${t.url}/snapshot`, snapshot, CODER_HEADERS), post(`${t.url}/snapshot`, snapshot, CODER_HEADERS)]);
        snapshots += 2;
      }
    };
    const health: number[] = [];
    const probe = async (): Promise<void> => {
      while (running) {
        const t0 = performance.now();
        await get(`${t.adminUrl}/healthz`);
        health.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const pairs = pair();
    const probing = probe();
    // Let the first pair be under way before the batches start.
    await new Promise((r) => setTimeout(r, 500));
    const batches = await openLoop({ url: `${t.url}/v1/batch`, bodyFile: files.batchFile, headers: RUDDER_HEADERS, rate: 100, seconds, connections: 32 });
    running = false;
    await Promise.all([pairs, probing]);
    const twoPeak = readRss(t.child.pid).hwmBytes;
    return {
      build, batchP99: batches.p99Ms, batchMax: batches.maxMs, batchFailed: batches.failed,
      healthP99: pct(health, 99), healthMax: Math.max(...health), snapshots,
      idleMb: idle / 1e6, oneMultiple: (Math.max(...onePeaks) - idle) / snapshot.length, twoMultiple: (twoPeak - idle) / (2 * snapshot.length),
      endToEndMs: pct(ends.slice(1), 50),
    };
  } finally {
    await t.child.stop();
  }
}

export async function runStallBench(out: (s: string) => void, options: { users: number; seconds: number; before?: string; fsync?: boolean }): Promise<void> {
  const fsync = options.fsync ?? true;
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-stall-bench-'));
  const vendor = await startStandIn();
  try {
    const files = writeBodies(dir, options.users);
    const bodyMb = readFileSync(files.snapshotFile).length / 1e6;
    const floor = floorMs(files.snapshotFile);
    const rows: StallResult[] = [];
    if (options.before !== undefined) rows.push(await measureBuild('before', path.join(options.before, 'bin', 'telegate.js'), path.join(dir, 'before'), vendor.url, files, options.seconds, fsync));
    rows.push(await measureBuild('this build', undefined, path.join(dir, 'after'), vendor.url, files, options.seconds, fsync));
    out(`Snapshots (${options.users} users, ${bodyMb.toFixed(1)} MB) judged two at a time for ${options.seconds} s while small batches come at 100/s and /healthz every 50 ms; audit fsync ${fsync ? 'on' : 'off'}; ${cpus().length} cores, shared\n`);
    out(`${table(['build', 'batch p99 ms', 'batch max ms', 'batch failed', '/healthz p99 ms', '/healthz max ms', 'snapshots', 'idle MB', 'peak/body (1)', 'peak/body (2 at once, per body)', 'end-to-end ms', '/ floor'],
      rows.map((r) => [r.build, r.batchP99.toFixed(1), r.batchMax.toFixed(0), r.batchFailed, r.healthP99.toFixed(1), r.healthMax.toFixed(0), r.snapshots,
        r.idleMb.toFixed(0), r.oneMultiple.toFixed(2), r.twoMultiple.toFixed(2), r.endToEndMs.toFixed(0), (r.endToEndMs / floor).toFixed(2)]))}\n`);
    out(`floor (node: read + JSON.parse + JSON.stringify + sha256, whole process): ${floor.toFixed(0)} ms\n`);
  } finally {
    await vendor.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const before = arg('--before');
  runStallBench((s) => process.stdout.write(s), { users: Number(arg('--users') ?? 5000), seconds: Number(arg('--seconds') ?? 10), fsync: !process.argv.includes('--no-fsync'), ...(before === undefined ? {} : { before }) })
    .catch((error: unknown) => {
      process.stderr.write(`stall bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    });
}
