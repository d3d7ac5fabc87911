/**
 * `telegate audit stats [DIR] [--since T] [--until T] [--format text|json]`: requests, bytes sent and
 * field counts (dropped, hashed, unknown) by vendor, level and decision, with a total line.
 */
import { planScan } from '../audit/query/record-scan';
import { statsReport, type StatsReport, type StatsTotals } from '../audit/query/stats';
import { auditFolder, checkAuditFolder, printScanNotes, systemErrorCode } from './audit-folder';
import { table } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { scanProgress } from './scan-progress';

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
  const folder = auditFolder(dir);
  const problem = await checkAuditFolder(folder);
  if (problem) {
    io.stderr(`${COMMAND}: ${problem}\n`);
    return EXIT_USAGE;
  }
  const progress = scanProgress(io);
  let report: StatsReport;
  try {
    const scan = await planScan(folder, opts.since === undefined ? {} : { since: opts.since });
    report = await statsReport(scan, {
      ...(opts.since === undefined ? {} : { since: opts.since }),
      ...(opts.until === undefined ? {} : { until: opts.until }),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    progress.done();
    printScanNotes(COMMAND, scan.notes, io);
  } catch (err) {
    progress.done();
    io.stderr(`${COMMAND}: cannot read ${folder}: ${systemErrorCode(err)}\n`);
    return EXIT_USAGE;
  }
  if (report.total.requests === 0) {
    // json consumers still get the (empty) report; the words go where a person reads them.
    if (opts.format === 'json') {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      io.stderr('no records match\n');
    } else {
      io.stdout('no records match\n');
    }
    return EXIT_OK;
  }
  io.stdout(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : textTable(report));
  return EXIT_OK;
}
