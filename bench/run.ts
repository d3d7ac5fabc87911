/**
 * `npm run bench`: every benchmark with its baseline measured in the same run, printed as ratios.
 * Usage: node dist/bench/run.js [transform|pseudonym|tlog|shadow|scaling|hostile|stall|all]
 * (hostile and stall measure another build as "before" too when BENCH_BEFORE names its checkout, dist/ built)
 */
import { cpus } from 'node:os';
import { runHostileBench } from './hostile-bench';
import { runPseudonymBench } from './pseudonym-bench';
import { runScalingBench } from './scaling-bench';
import { runStallBench } from './snapshot-stall-bench';
import { runShadowBench } from './shadow-bench';
import { runTlogBench } from './tlog-bench';
import { runTransformBench } from './transform-bench';

async function main(which: string): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  out(`telegate bench — node ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}\n\n`);
  if (which === 'all' || which === 'transform') await runTransformBench([50, 500, 5000], out);
  if (which === 'all' || which === 'pseudonym') runPseudonymBench(out);
  if (which === 'all' || which === 'tlog') runTlogBench(out);
  if (which === 'all' || which === 'shadow') await runShadowBench(out);
  if (which === 'all' || which === 'scaling') await runScalingBench(out);
  if (which === 'all' || which === 'hostile') await runHostileBench(out, process.env['BENCH_BEFORE']);
  if (which === 'all' || which === 'stall') await runStallBench(out, { users: 5000, seconds: 10, ...(process.env['BENCH_BEFORE'] ? { before: process.env['BENCH_BEFORE'] } : {}) });
}

main(process.argv[2] ?? 'all').catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
