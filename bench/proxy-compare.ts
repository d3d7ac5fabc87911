/**
 * `node dist/bench/proxy-compare.js`: two or more telegate set-ups under the same small-batch load,
 * interleaved run by run, for A/B comparisons on a machine whose other load comes and goes.
 *
 * Each target is `workers=N`, `tree=DIR` (another checkout with its dist/ built: compare a commit with
 * the one before it), `node=FLAGS` (node options, comma-separated), `nodebin=PATH` (another Node.js
 * binary: compare runtimes) or `checkpoint=SECONDS` (signed checkpoints on, one every SECONDS),
 * combinable with `+`:
 *   node dist/bench/proxy-compare.js workers=1 workers=2
 *   node dist/bench/proxy-compare.js tree=/tmp/telegate-before tree=.
 *   node dist/bench/proxy-compare.js tree=/tmp/old+nodebin=/usr/bin/node tree=/tmp/old
 *   node dist/bench/proxy-compare.js workers=1 workers=1+checkpoint=1
 * A run is wrk -t1 -c16 for --seconds (6) against one target after the machine was quiet for 2 s; a run
 * during which other processes took more than a quarter of a core is discarded and repeated (with
 * --busy-ok, on a machine that is never quiet, every run is kept and its neighbours' load printed). Prints
 * requests/s and CPU µs per request (telegate's process tree and the stand-in vendor) for each run,
 * then the medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { median, table } from './measure';
import { RUDDER_AUTHORIZATION, writeBodies } from './proxy/bodies';
import { cpuMs, machineBusyMs } from './proxy/cpu-time';
import { startStandIn, startTelegate, type Target } from './proxy/targets';
import { findTools } from './proxy/tools';
import { runWrk, writeWrkScript } from './proxy/wrk';

const RUDDER_HEADERS = { 'Content-Type': 'application/json', Authorization: RUDDER_AUTHORIZATION, 'User-Agent': 'analytics-node/1.1.5' };

interface Spec { label: string; workers: number; bin?: string; node?: string; nodeArgs: string[]; checkpointIntervalS?: number }

function parseSpec(text: string): Spec {
  const spec: Spec = { label: text, workers: 1, nodeArgs: [] };
  for (const part of text.split('+')) {
    const [key, value = ''] = part.split('=', 2) as [string, string?];
    if (key === 'workers') spec.workers = Number(value);
    else if (key === 'tree') spec.bin = path.resolve(value, 'bin', 'telegate.js');
    else if (key === 'node') spec.nodeArgs = value.split(',').filter(Boolean);
    else if (key === 'nodebin') spec.node = path.resolve(value);
    else if (key === 'checkpoint') spec.checkpointIntervalS = Number(value);
    else throw new Error(`unknown target part ${part}: use workers=N, tree=DIR, node=FLAGS, nodebin=PATH or checkpoint=SECONDS`);
  }
  return spec;
}

async function quiet(): Promise<void> {
  for (;;) {
    const before = machineBusyMs();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (machineBusyMs() - before < 200) return;
  }
}

async function main(argv: string[]): Promise<void> {
  const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 6;
  const rounds = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 3;
  // On a machine that is never quiet (shared with other builds), keep every run and say how busy it was:
  // the interleaved medians still compare the targets, with a wider spread.
  const busyOk = argv.includes('--busy-ok');
  const specs = argv.filter((a, i) => !a.startsWith('--') && !['--seconds', '--rounds'].includes(argv[i - 1] ?? '')).map(parseSpec);
  if (specs.length < 2) throw new Error('name two targets or more, e.g. workers=1 workers=2');
  const tools = findTools((s) => process.stdout.write(s));
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-compare-'));
  const started: Target[] = [];
  try {
    const bodies = writeBodies(dir, 10);
    const vendor = await startStandIn();
    started.push(vendor);
    const targets: (Target & { spec: Spec })[] = [];
    for (const [i, spec] of specs.entries()) {
      const t = await startTelegate({
        dir: path.join(dir, `t${i}`), upstream: vendor.url, fsync: true, workers: spec.workers, nodeArgs: spec.nodeArgs, name: spec.label,
        ...(spec.bin ? { bin: spec.bin } : {}), ...(spec.node ? { node: spec.node } : {}),
        ...(spec.checkpointIntervalS === undefined ? {} : { checkpointIntervalS: spec.checkpointIntervalS }),
      });
      started.push(t);
      targets.push({ ...t, spec });
    }
    const script = writeWrkScript(dir, 'batch', bodies.batchFile, RUDDER_HEADERS);
    const load = (t: Target, s: number) => ({ url: `${t.url}/v1/batch`, bodyFile: bodies.batchFile, headers: {}, connections: 16, seconds: s });
    for (const t of targets) await runWrk(tools.wrk, script, load(t, 3));
    const runs = new Map<string, { rps: number; cpu: number }[]>(targets.map((t) => [t.name, []]));
    process.stdout.write(`proxy-compare — node ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}\n`);
    for (let round = 0; round < rounds; round++) {
      for (const t of targets) {
        for (;;) {
          if (!busyOk) await quiet();
          const mine = (): number => cpuMs(t.child.pid) + cpuMs(vendor.child.pid);
          const before = mine();
          const busyBefore = machineBusyMs();
          const r = await runWrk(tools.wrk, script, load(t, seconds));
          const used = mine() - before;
          const others = machineBusyMs() - busyBefore - used;
          // wrk itself takes ~0.1 core; more than a quarter of a core besides means someone else ran.
          if (!busyOk && others > r.seconds * 250) {
            process.stdout.write(`  ${t.name}: discarded (other processes took ${others.toFixed(0)} ms of CPU)\n`);
            continue;
          }
          if (r.errors > 0 || r.badStatus > 0) throw new Error(`${t.name}: ${r.errors} socket errors, ${r.badStatus} answers >= 400`);
          const cpu = (used * 1000) / r.requests;
          runs.get(t.name)!.push({ rps: r.rps, cpu });
          process.stdout.write(`  ${t.name}, round ${round + 1}: ${r.rps.toFixed(0)} req/s, CPU ${cpu.toFixed(0)} µs/request (telegate and stand-in)${busyOk ? `, others ${(others / r.seconds / 10).toFixed(0)} % of a core` : ''}\n`);
          break;
        }
      }
    }
    process.stdout.write(`\n${table(['target', 'runs', 'req/s median', 'req/s range', 'CPU µs/req median'], [...runs].map(([name, list]) => [
      name, list.length, median(list.map((x) => x.rps)).toFixed(0),
      `${Math.min(...list.map((x) => x.rps)).toFixed(0)}–${Math.max(...list.map((x) => x.rps)).toFixed(0)}`,
      median(list.map((x) => x.cpu)).toFixed(0),
    ]))}\n`);
  } finally {
    for (const t of started.reverse()) await t.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`proxy-compare failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
