/**
 * Runs one `telegate audit …` query in this process and prints its wall time and peak RSS on stderr,
 * for machines without `/usr/bin/time -v`. The query's own output goes to stdout as usual.
 *
 * Usage: node dist/bench/audit-log-generator.js /tmp/audit-1g 1024
 *        node dist/bench/audit-query-measure.js search /tmp/audit-1g --format json > /dev/null
 */
import { main } from '../src/cli/main';

async function measure(args: string[]): Promise<void> {
  const start = performance.now();
  const code = await main(['node', 'telegate', 'audit', ...args]);
  const ms = performance.now() - start;
  // maxRSS is in kilobytes.
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stderr.write(`audit ${args.join(' ')}: exit ${code}, ${(ms / 1000).toFixed(2)} s, peak RSS ${rssMb.toFixed(0)} MB\n`);
  process.exitCode = code;
}

measure(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 2;
});
