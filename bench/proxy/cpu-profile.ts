/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the time went by self time: per function,
 * and per owner (telegate's own code, each npm package, Node's internals, GC, idle), which is what
 * decides where a speed-up can come from. Also runnable on its own:
 *   node dist/bench/proxy/cpu-profile.js FILE.cpuprofile [top] [skip-ms]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface SelfTime { name: string; ms: number; share: number }
export interface ProfileSummary { totalMs: number; busyMs: number; functions: SelfTime[]; owners: SelfTime[] }

/** Who a frame belongs to: telegate's source file, an npm package, or Node itself. */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const own = /\/dist\/(src\/.*?)\.js$/.exec(url);
  if (own) return own[1]!;
  return url;
}

/** `skipMs`: samples in the first milliseconds of the profile are left out (start-up, before the load). */
export function summarizeProfile(file: string, top = 25, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  let at = profile.startTime;
  const from = profile.startTime + skipMs * 1000;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnTime = new Map<string, number>();
  const ownerTime = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    const node = byId.get(id);
    if (!node || at < from) return;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idleUs += us;
    const short = url.replace(/^.*\/(node_modules\/|dist\/)/, '$1');
    const name = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    fnTime.set(name, (fnTime.get(name) ?? 0) + us);
    const owner = ownerOf(url, functionName);
    ownerTime.set(owner, (ownerTime.get(owner) ?? 0) + us);
  });
  const busyUs = totalUs - idleUs;
  const rank = (m: Map<string, number>): SelfTime[] => [...m.entries()]
    .sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, functions: rank(fnTime), owners: rank(ownerTime) };
}

export function formatSummary(summary: ProfileSummary, top = 20): string {
  const lines = [`CPU profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(summary.busyMs / 1000).toFixed(1)} s busy (shares below are of busy time)`];
  lines.push('  self time by owner:');
  for (const o of summary.owners.slice(0, 12)) lines.push(`    ${(o.share * 100).toFixed(1).padStart(5)}%  ${o.name}`);
  lines.push('  self time by function:');
  for (const f of summary.functions.slice(0, top)) lines.push(`    ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/proxy/cpu-profile.js FILE.cpuprofile [top]\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${formatSummary(summarizeProfile(file, 200, Number(process.argv[4] ?? 0)), Number(process.argv[3] ?? 25))}\n`);
  }
}
