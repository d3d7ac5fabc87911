/**
 * `telegate audit stats [DIR] [--since T] [--until T] [--format text|json]`: requests, bytes sent and
 * field counts (dropped, hashed, unknown) by vendor, level and decision, with a total line.
 */
import { statsReport, type StatsReport, type StatsTotals } from '../audit/query/stats';
import { scanAuditFolder } from './audit-folder';
import { printNoMatch, table } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditStatsOptions { since?: number; until?: number; format: 'text' | 'json' }

const COMMAND = 'telegate audit stats';

const numbers = (t: StatsTotals): string[] => [t.requests, t.bytes, t.dropped, t.hashed, t.unknown].map(String);

function textTable(report: StatsReport): string {
  return table(
    ['VENDOR', 'LEVEL', 'DECISION', 'REQUESTS', 'BYTES', 'DROPPED', 'HASHED', 'UNKNOWN'],
    [
      ...report.groups.map((g) => [g.vendor, String(g.level), g.decision, ...numbers(g)]),
      ['total', '', '', ...numbers(report.total)],
    ],
    new Set([1, 3, 4, 5, 6, 7]),
  );
}

export async function runAuditStats(dir: string | undefined, opts: AuditStatsOptions, io: CliIO): Promise<number> {
  const since = opts.since === undefined ? {} : { since: opts.since };
  const ran = await scanAuditFolder(COMMAND, dir, io, (scan, progress) => statsReport(scan, {
    ...since,
    ...(opts.until === undefined ? {} : { until: opts.until }),
    ...progress,
  }), since);
  if (!ran) return EXIT_USAGE;
  const report = ran.result;
  if (report.total.requests === 0) {
    // json consumers still get the (empty) report.
    if (opts.format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    printNoMatch(opts.format, io);
    return EXIT_OK;
  }
  io.stdout(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : textTable(report));
  return EXIT_OK;
}
