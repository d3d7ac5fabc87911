/**
 * `npm run bench -- hostile` (and `node dist/bench/hostile-bench.js [--before DIR]`): what each hostile
 * small body (bench/hostile-bodies.ts) costs a running telegate — CPU of its process, peak resident
 * memory above the resident set just before, how much its audit folder grew, and the status it answered
 * — with a normal snapshot sent right after to show it still serves. `--before DIR` measures another
 * checkout's build (its dist/ built) the same way in the same run, for before/after figures.
 * The goal (issue 14): each answered 4xx or judged normally within 100 ms of CPU and 64 MB of memory.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCoderSnapshot } from './coder-snapshot-generator';
import { hostileBodies, type HostileBody } from './hostile-bodies';
import { table } from './measure';
import { cpuMs } from './proxy/cpu-time';
import { post } from './proxy/memory';
import { readRss, resetPeak } from './proxy/rss';
import { startStandIn, startTelegate } from './proxy/targets';

const CODER_HEADERS = { 'User-Agent': 'Go-http-client/1.1', 'X-Coder-Version': 'v2.20.0' };
const NORMAL = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'vendor-examples', 'coder-snapshot.json');

export interface HostileCost { build: string; input: string; sentBytes: number; decodedBytes: number; status: number; cpuMs: number; extraMb: number; auditBytes: number; normalStatus: number }

function folderBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, f.name);
    total += f.isDirectory() ? folderBytes(p) : statSync(p).size;
  }
  return total;
}

async function measureBuild(build: string, bin: string | undefined, bodies: HostileBody[], dir: string, upstream: string): Promise<HostileCost[]> {
  const t = await startTelegate({ dir, upstream, fsync: true, ...(bin === undefined ? {} : { bin }) });
  const normal = readFileSync(NORMAL);
  const large = generateCoderSnapshot(100).body;
  const out: HostileCost[] = [];
  try {
    // Warm: the first request pays for compiling the policy's code paths, and the first body of at least
    // limits.judge_thread_bytes for starting a judge thread and compiling the policy there.
    for (let i = 0; i < 20; i++) await post(`${t.url}/snapshot`, normal, CODER_HEADERS);
    for (let i = 0; i < 3; i++) await post(`${t.url}/snapshot`, large, CODER_HEADERS);
    for (const h of bodies) {
      await new Promise((r) => setTimeout(r, 300));
      const rssBefore = readRss(t.child.pid).rssBytes;
      resetPeak(t.child.pid);
      const audit = folderBytes(t.auditDir);
      const cpu = cpuMs(t.child.pid);
      const headers = { ...CODER_HEADERS, ...(h.encoding ? { 'content-encoding': h.encoding } : {}) };
      const status = await post(`${t.url}/snapshot`, h.body, headers);
      const spent = cpuMs(t.child.pid) - cpu;
      const peak = readRss(t.child.pid).hwmBytes;
      const normalStatus = await post(`${t.url}/snapshot`, normal, CODER_HEADERS);
      out.push({ build, input: h.name, sentBytes: h.body.length, decodedBytes: h.decodedBytes, status, cpuMs: spent,
        extraMb: Math.max(0, peak - rssBefore) / 1e6, auditBytes: folderBytes(t.auditDir) - audit, normalStatus });
    }
  } finally {
    await t.child.stop();
  }
  return out;
}

export async function runHostileBench(out: (s: string) => void, before?: string): Promise<HostileCost[]> {
  const bodies = hostileBodies();
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-hostile-bench-'));
  const vendor = await startStandIn();
  const rows: HostileCost[] = [];
  try {
    if (before !== undefined) rows.push(...await measureBuild('before', path.join(before, 'bin', 'telegate.js'), bodies, path.join(dir, 'before'), vendor.url));
    rows.push(...await measureBuild('this build', undefined, bodies, path.join(dir, 'after'), vendor.url));
  } finally {
    await vendor.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  out(`Hostile small bodies to /snapshot (level 1, durable audit); CPU is telegate's process, memory its peak RSS above the RSS just before\n`);
  out(`${table(['build', 'input', 'sent KB', 'decoded MB', 'status', 'CPU ms', 'extra MB', 'audit KB', 'next normal'],
    rows.map((r) => [r.build, r.input, (r.sentBytes / 1000).toFixed(1), (r.decodedBytes / 1e6).toFixed(1), r.status, r.cpuMs.toFixed(0), r.extraMb.toFixed(1), (r.auditBytes / 1000).toFixed(1), r.normalStatus]))}\n`);
  const mine = rows.filter((r) => r.build === 'this build');
  const met = mine.every((r) => r.cpuMs <= 100 && r.extraMb <= 64 && r.normalStatus === 202);
  out(`goal (each <= 100 ms CPU, <= 64 MB extra, next normal request served): ${met ? 'met' : 'NOT met'}\n`);
  return rows;
}

if (require.main === module) {
  const i = process.argv.indexOf('--before');
  const before = i >= 0 ? process.argv[i + 1] : undefined;
  runHostileBench((s) => process.stdout.write(s), before).catch((error: unknown) => {
    process.stderr.write(`hostile bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
