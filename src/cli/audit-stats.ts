/**
 * `telegate audit stats [DIR] [--since T] [--until T] [--format text|json]`: requests, bytes sent and
 * field counts (dropped, hashed, unknown) by vendor, level and decision, with a total line.
 */
import { statsReport, type StatsGroup, type StatsReport, type StatsTotals } from '../audit/query/stats';
import { scanAuditFolder, type AuditLocation } from './audit-folder';
import { printNoMatch, table } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditStatsOptions { since?: number; until?: number; format: 'text' | 'json' }

const COMMAND = 'telegate audit stats';

const numbers = (t: StatsTotals): string[] => [t.requests, t.bytes, t.dropped, t.hashed, t.unknown].map(String);

/** `L2: 12 req, +40 sent, 0 hashed, 3 dropped`: what the shadow level would have changed, in values. */
function shadowText(g: StatsGroup): string {
  return (g.shadow ?? []).map((s) => `L${s.shadow_level}: ${s.requests} req, ${s.sent} sent, ${s.hashed} hashed, ${s.dropped} dropped`).join('; ');
}

function textTable(report: StatsReport): string {
  const withShadow = report.groups.some((g) => g.shadow !== undefined);
  return table(
    ['VENDOR', 'LEVEL', 'DECISION', 'REQUESTS', 'BYTES', 'DROPPED', 'HASHED', 'UNKNOWN', ...(withShadow ? ['SHADOW (values it would send / hash / drop otherwise)'] : [])],
    [
      ...report.groups.map((g) => [g.vendor, String(g.level), g.decision, ...numbers(g), ...(withShadow ? [shadowText(g) || '-'] : [])]),
      ['total', '', '', ...numbers(report.total), ...(withShadow ? [''] : [])],
    ],
    new Set([1, 3, 4, 5, 6, 7]),
  );
}

export async function runAuditStats(at: AuditLocation, opts: AuditStatsOptions, io: CliIO): Promise<number> {
  const since = opts.since === undefined ? {} : { since: opts.since };
  const ran = await scanAuditFolder(COMMAND, at, io, (scan, progress) => statsReport(scan, {
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
