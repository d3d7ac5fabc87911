/**
 * `npm run bench:proxy`: telegate as a proxy, against nginx and against no proxy at all, in one run.
 *
 * Starts its own processes (bench/proxy/targets.ts): a stand-in vendor, nginx in front of it, and
 * telegate (durable audit, and a second one with `audit: {fsync: false}`) in front of it; loads them with
 * wrk (closed loop: capacity) and bench/proxy/open-loop.ts (fixed rate: latency added), and reads
 * telegate's memory from /proc. Prints every figure and one table of ratios against the goals of
 * issue 6. Results depend on the machine: only the ratios, measured in the same run, compare.
 *
 * Usage: node dist/bench/proxy-bench.js [--quick] [--rounds N] [--seconds N] [--profile | --profile-only] [--json FILE]
 *   --quick    short runs for development (figures are noisy)
 *   --rounds   closed-loop runs per target, interleaved across targets; the median is reported (default 1)
 *   --profile  afterwards, run telegate under the small-batch load with node --cpu-prof and rank self time
 *   --profile-only  only that (stand-in and telegate, no nginx, no ratios)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { median, table } from './measure';
import { RUDDER_AUTHORIZATION, writeBodies } from './proxy/bodies';
import { formatSummary, summarizeProfile } from './proxy/cpu-profile';
import { measureSnapshotMemory, post } from './proxy/memory';
import type { OpenLoopLoad, OpenLoopResult } from './proxy/open-loop';
import { cpuMs } from './proxy/cpu-time';
import { startNginx, startNodeFloor, startStandIn, startTelegate, type Target } from './proxy/targets';
import { findTools } from './proxy/tools';
import { runWrk, writeWrkScript, type WrkLoad, type WrkResult } from './proxy/wrk';

export interface ProxyBenchOptions {
  /** Closed-loop small-batch run per target, after `warmupSeconds`. */
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rounds: number;
  /** Fixed-rate run. */
  rate: number;
  rateSeconds: number;
  rateConnections: number;
  snapshotUsers: number;
  snapshotSeconds: number;
  snapshotConnections: number;
  profile: boolean;
}

export const FULL: ProxyBenchOptions = {
  seconds: 10, warmupSeconds: 3, connections: 16, rounds: 1,
  rate: 1000, rateSeconds: 10, rateConnections: 64,
  snapshotUsers: 5000, snapshotSeconds: 20, snapshotConnections: 2, profile: false,
};
export const QUICK: ProxyBenchOptions = {
  ...FULL, seconds: 3, warmupSeconds: 1, rateSeconds: 3, snapshotUsers: 1000, snapshotSeconds: 5,
};

const RUDDER_HEADERS = { 'Content-Type': 'application/json', Authorization: RUDDER_AUTHORIZATION, 'User-Agent': 'analytics-node/1.1.5' };
const CODER_HEADERS = { 'User-Agent': 'Go-http-client/1.1', 'X-Coder-Version': 'v2.20.0' };
const OPEN_LOOP = path.join(__dirname, 'proxy', 'open-loop.js');

export interface ProxyBenchResult {
  when: string;
  machine: string;
  loadBefore: number;
  small: Record<string, Measured>;
  fixedRate: Record<string, OpenLoopResult>;
  snapshot: Record<string, Measured>;
  memory: { bodyBytes: number; idleRss: number; peakRss: number; multiple: number; resetWorked: boolean };
  goals: { name: string; measured: string; goal: string; met: boolean }[];
  profile?: string;
}

/** A wrk run and the CPU the target's process(es) spent on it, per request. */
export interface Measured extends WrkResult { cpuUsPerRequest: number }

async function measure(wrk: string, script: string, target: Target, load: Omit<WrkLoad, 'url'> & { path: string }): Promise<Measured> {
  const before = cpuMs(target.child.pid);
  const r = await runWrk(wrk, script, { ...load, url: `${target.url}${load.path}` });
  return { ...r, cpuUsPerRequest: ((cpuMs(target.child.pid) - before) * 1000) / Math.max(1, r.requests) };
}

function runOpenLoop(load: OpenLoopLoad): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [OPEN_LOOP, JSON.stringify(load)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`open-loop failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as OpenLoopResult);
    });
  });
}

/** The run of median requests/s among rounds: its latencies belong to the same run as its rate. */
function medianRun(runs: Measured[]): Measured {
  const m = median(runs.map((r) => r.rps));
  return runs.reduce((best, r) => (Math.abs(r.rps - m) < Math.abs(best.rps - m) ? r : best));
}

function checkClean(what: string, r: WrkResult): void {
  if (r.errors > 0 || r.badStatus > 0 || r.requests === 0) {
    throw new Error(`${what}: ${r.requests} requests, ${r.errors} socket errors, ${r.badStatus} answers >= 400: the run measured failures, not proxying`);
  }
}

const ms = (v: number): string => v.toFixed(v < 10 ? 2 : 1);
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

export async function runProxyBench(options: ProxyBenchOptions, out: (s: string) => void): Promise<ProxyBenchResult> {
  const tools = findTools(out);
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-proxy-bench-'));
  const started: Target[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    const bodies = writeBodies(dir, options.snapshotUsers);
    out(`bodies: 20-event RudderStack batch ${bodies.batchBytes} B, Coder snapshot (${options.snapshotUsers} users) ${mb(bodies.snapshotBytes)} MB\n`);
    const vendor = await startStandIn();
    started.push(vendor);
    const nginx = await startNginx(tools.nginx, path.join(dir, 'nginx'), vendor.url);
    started.push(nginx);
    const floor = await startNodeFloor(vendor.url);
    started.push(floor);

    // --- memory: a telegate that has seen only small batches, then one snapshot (and a second) --------
    const fresh = await startTelegate({ dir: path.join(dir, 'telegate-memory'), upstream: vendor.url, fsync: true });
    started.push(fresh);
    const batch = readFileSync(bodies.batchFile);
    for (let i = 0; i < 200; i++) {
      const status = await post(`${fresh.url}/v1/batch`, batch, RUDDER_HEADERS);
      if (status !== 200) throw new Error(`telegate answered ${status} to a batch, not the vendor's 200`);
    }
    // Three snapshots, the highest peak counts: the first and later ones differ by up to half a body.
    const mem = await measureSnapshotMemory(fresh.child.pid, fresh.url, bodies.snapshotFile, CODER_HEADERS, 3);
    const peakRss = Math.max(...mem.peaks);
    const memory = { bodyBytes: mem.bodyBytes, idleRss: mem.idleRss, peakRss, multiple: (peakRss - mem.idleRss) / mem.bodyBytes, resetWorked: mem.resetWorked };
    await fresh.child.stop();
    started.splice(started.indexOf(fresh), 1);
    out(`memory: idle RSS ${mb(memory.idleRss)} MB, peak RSS ${mem.peaks.map(mb).join(' / ')} MB (snapshot 1 / 2 / 3), `
      + `added ${mb(peakRss - memory.idleRss)} MB = ${memory.multiple.toFixed(2)}× the ${mb(memory.bodyBytes)} MB body\n`);

    const durable = await startTelegate({ dir: path.join(dir, 'telegate'), upstream: vendor.url, fsync: true });
    started.push(durable);
    const nonDurable = await startTelegate({ dir: path.join(dir, 'telegate-nofsync'), upstream: vendor.url, fsync: false });
    started.push(nonDurable);
    // Both cores: config `workers: 2` (a supervisor and two workers, an audit chain each).
    const twoWorkers = await startTelegate({ dir: path.join(dir, 'telegate-workers'), upstream: vendor.url, fsync: true, workers: 2 });
    started.push(twoWorkers);

    // --- small batches, closed loop ----------------------------------------------------------------------
    const batchScript = writeWrkScript(dir, 'batch', bodies.batchFile, RUDDER_HEADERS);
    const smallTargets = [vendor, nginx, floor, durable, nonDurable, twoWorkers];
    const smallRuns = new Map<string, Measured[]>(smallTargets.map((t) => [t.name, []]));
    const smallLoad = { path: '/v1/batch', bodyFile: bodies.batchFile, headers: {}, connections: options.connections };
    for (const t of smallTargets) await measure(tools.wrk, batchScript, t, { ...smallLoad, seconds: options.warmupSeconds });
    for (let round = 0; round < options.rounds; round++) {
      for (const t of smallTargets) {
        const r = await measure(tools.wrk, batchScript, t, { ...smallLoad, seconds: options.seconds });
        checkClean(`small batches to ${t.name}`, r);
        smallRuns.get(t.name)!.push(r);
        out(`  small batch, ${t.name}, round ${round + 1}: ${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms, CPU ${r.cpuUsPerRequest.toFixed(0)} µs/request\n`);
      }
    }
    await floor.child.stop();
    started.splice(started.indexOf(floor), 1);
    const small = Object.fromEntries([...smallRuns].map(([name, runs]) => [name, medianRun(runs)]));

    // --- small batches at a fixed rate ------------------------------------------------------------------
    const fixedRate: Record<string, OpenLoopResult> = {};
    // telegate without fsync too: it tells the disk's share of telegate's tail from the CPU's.
    for (const t of [vendor, nginx, durable, nonDurable, twoWorkers]) {
      const load = { url: `${t.url}/v1/batch`, bodyFile: bodies.batchFile, headers: RUDDER_HEADERS, rate: options.rate, connections: options.rateConnections };
      await runOpenLoop({ ...load, seconds: Math.min(2, options.rateSeconds) });
      const r = await runOpenLoop({ ...load, seconds: options.rateSeconds });
      if (r.failed > 0) throw new Error(`fixed rate to ${t.name}: ${r.failed} of ${r.sent} requests failed (${r.badStatus} with a status >= 400, the rest socket errors or no answer)`);
      fixedRate[t.name] = r;
      out(`  fixed ${options.rate}/s, ${t.name}: p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms, p99.9 ${ms(r.p999Ms)} ms, max ${ms(r.maxMs)} ms\n`);
    }
    for (const t of [nonDurable, twoWorkers]) {
      await t.child.stop();
      started.splice(started.indexOf(t), 1);
    }

    // --- 50 MB snapshots --------------------------------------------------------------------------------
    const snapshotScript = writeWrkScript(dir, 'snapshot', bodies.snapshotFile, CODER_HEADERS);
    const snapshot: Record<string, Measured> = {};
    const snapshotLoad = { path: '/snapshot', bodyFile: bodies.snapshotFile, headers: {}, timeoutSeconds: 60 };
    for (const t of [vendor, nginx, durable]) {
      await measure(tools.wrk, snapshotScript, t, { ...snapshotLoad, connections: 1, seconds: 1 });
      const r = await measure(tools.wrk, snapshotScript, t, { ...snapshotLoad, connections: options.snapshotConnections, seconds: options.snapshotSeconds });
      checkClean(`snapshots to ${t.name}`, r);
      snapshot[t.name] = r;
      out(`  snapshot, ${t.name}: ${r.requests} in ${r.seconds.toFixed(1)} s = ${r.rps.toFixed(2)} req/s, p50 ${ms(r.p50Ms)} ms, max ${ms(r.maxMs)} ms, CPU ${(r.cpuUsPerRequest / 1000).toFixed(0)} ms/request\n`);
    }

    const two = twoWorkers.name;
    const goals = [
      { name: 'small batches: telegate / nginx req/s', measured: (small['telegate']!.rps / small['nginx']!.rps).toFixed(2), goal: '>= 0.35', met: small['telegate']!.rps / small['nginx']!.rps >= 0.35 },
      { name: `small batches: ${two} / nginx req/s`, measured: (small[two]!.rps / small['nginx']!.rps).toFixed(2), goal: '>= 0.35', met: small[two]!.rps / small['nginx']!.rps >= 0.35 },
      { name: `p99 added at ${options.rate} req/s (telegate - direct)`, measured: `${ms(fixedRate['telegate']!.p99Ms - fixedRate['direct']!.p99Ms)} ms`, goal: '<= 5 ms', met: fixedRate['telegate']!.p99Ms - fixedRate['direct']!.p99Ms <= 5 },
      { name: `p99 added at ${options.rate} req/s (${two} - direct)`, measured: `${ms(fixedRate[two]!.p99Ms - fixedRate['direct']!.p99Ms)} ms`, goal: '<= 5 ms', met: fixedRate[two]!.p99Ms - fixedRate['direct']!.p99Ms <= 5 },
      { name: 'durable / non-durable req/s', measured: (small['telegate']!.rps / small['telegate (no fsync)']!.rps).toFixed(2), goal: '>= 0.8', met: small['telegate']!.rps / small['telegate (no fsync)']!.rps >= 0.8 },
      { name: 'snapshot peak RSS - idle, × body', measured: `${memory.multiple.toFixed(2)}×`, goal: '<= 6×', met: memory.multiple <= 6 },
    ];

    let profile: string | undefined;
    if (options.profile) {
      await durable.child.stop();
      started.splice(started.indexOf(durable), 1);
      profile = await profileTelegate(tools.wrk, batchScript, dir, vendor.url, options, bodies.batchFile);
    }
    return {
      when: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`,
      loadBefore, small, fixedRate, snapshot, memory, goals, ...(profile ? { profile } : {}),
    };
  } finally {
    for (const t of started.reverse()) await t.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function profileTelegate(wrk: string, script: string, dir: string, upstream: string, options: ProxyBenchOptions, bodyFile: string): Promise<string> {
  const profDir = path.join(dir, 'cpu-prof');
  const spawned = Date.now();
  const t = await startTelegate({ dir: path.join(dir, 'telegate-prof'), upstream, fsync: true, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
  let skipMs = 0;
  try {
    // Warm up first, and leave start-up and warm-up out of the ranking: the steady state is what counts.
    await runWrk(wrk, script, { url: `${t.url}/v1/batch`, bodyFile, headers: {}, connections: options.connections, seconds: options.warmupSeconds });
    skipMs = Date.now() - spawned;
    await runWrk(wrk, script, { url: `${t.url}/v1/batch`, bodyFile, headers: {}, connections: options.connections, seconds: Math.max(options.seconds, 5) });
  } finally {
    // The profile is written when the process exits, which SIGTERM's graceful close leads to.
    await t.child.stop();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('node --cpu-prof wrote no profile');
  const keep = path.join(tmpdir(), `telegate-small-batch-${Date.now()}.cpuprofile`);
  writeFileSync(keep, readFileSync(path.join(profDir, file)));
  return `${formatSummary(summarizeProfile(keep, 200, skipMs), 25)}\n  (profile kept at ${keep}; open it in Chrome DevTools)`;
}

export function formatProxyResult(r: ProxyBenchResult, options: ProxyBenchOptions): string {
  const nginx = r.small['nginx']!.rps;
  const nginxCpu = r.small['nginx']!.cpuUsPerRequest;
  const smallRows = Object.entries(r.small).map(([name, w]) => [name, w.rps.toFixed(0), ms(w.p50Ms), ms(w.p99Ms), (w.rps / nginx).toFixed(2),
    w.cpuUsPerRequest.toFixed(0), (w.cpuUsPerRequest / nginxCpu).toFixed(1)]);
  const direct = r.fixedRate['direct']!;
  const rateRows = Object.entries(r.fixedRate).map(([name, o]) => [name, o.achievedRps.toFixed(0), ms(o.p50Ms), ms(o.p99Ms), ms(o.p999Ms), ms(o.maxMs), ms(o.p99Ms - direct.p99Ms)]);
  const snapNginx = r.snapshot['nginx']!.rps;
  const snapRows = Object.entries(r.snapshot).map(([name, w]) => [name, w.requests, w.rps.toFixed(2), (w.rps * r.memory.bodyBytes / 1e6).toFixed(0), ms(w.p50Ms), ms(w.maxMs), (w.rps / snapNginx).toFixed(2), (w.cpuUsPerRequest / 1000).toFixed(0)]);
  return [
    `Small batches (20 events, wrk -t1 -c${options.connections} -d${options.seconds}s, median of ${options.rounds} round(s))`,
    table(['target', 'req/s', 'p50 ms', 'p99 ms', 'req/s / nginx', 'CPU µs/req', 'CPU / nginx'], smallRows),
    '',
    `Fixed rate ${options.rate} req/s, open loop (${options.rateSeconds} s, latency from each request's due time)`,
    table(['target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'p99 added'], rateRows),
    '',
    `Coder snapshots (${mb(r.memory.bodyBytes)} MB, wrk -t1 -c${options.snapshotConnections} -d${options.snapshotSeconds}s)`,
    table(['target', 'requests', 'req/s', 'MB/s in', 'p50 ms', 'max ms', 'req/s / nginx', 'CPU ms/req'], snapRows),
    '',
    `Memory: idle RSS ${mb(r.memory.idleRss)} MB, peak ${mb(r.memory.peakRss)} MB while a snapshot passes${r.memory.resetWorked ? '' : ' (peak could not be reset: includes start-up)'}`,
    '',
    'Goals (issue 6)',
    table(['ratio', 'measured', 'goal', 'met'], r.goals.map((g) => [g.name, g.measured, g.goal, g.met ? 'yes' : 'NO'])),
  ].join('\n');
}

/** Only the profile: the stand-in and one telegate under the small-batch load (for working on speed). */
export async function runProfileOnly(options: ProxyBenchOptions, out: (s: string) => void): Promise<string> {
  const tools = findTools(out);
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-proxy-prof-'));
  const vendor = await startStandIn();
  try {
    const bodies = writeBodies(dir, 10);
    const script = writeWrkScript(dir, 'batch', bodies.batchFile, RUDDER_HEADERS);
    return await profileTelegate(tools.wrk, script, dir, vendor.url, options, bodies.batchFile);
  } finally {
    await vendor.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseArgs(argv: string[]): { options: ProxyBenchOptions; json?: string } {
  let options = argv.includes('--quick') ? { ...QUICK } : { ...FULL };
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') options = { ...options, rounds: Number(argv[++i]) };
    if (argv[i] === '--seconds') options = { ...options, seconds: Number(argv[++i]) };
    if (argv[i] === '--profile') options = { ...options, profile: true };
    if (argv[i] === '--json') json = argv[++i];
  }
  return json === undefined ? { options } : { options, json };
}

if (require.main === module) {
  const { options, json } = parseArgs(process.argv.slice(2));
  const out = (s: string): void => { process.stdout.write(s); };
  out(`telegate proxy bench — node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(2)}, ${new Date().toISOString()}\n`);
  if (process.argv.includes('--profile-only')) {
    runProfileOnly(options, out).then((summary) => out(`${summary}\n`), (error: unknown) => {
      process.stderr.write(`proxy profile failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    });
  } else runProxyBench(options, out).then((result) => {
    out(`\n${formatProxyResult(result, options)}\n`);
    if (result.profile) out(`\n${result.profile}\n`);
    if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  }, (error: unknown) => {
    process.stderr.write(`proxy bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
