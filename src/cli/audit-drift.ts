/**
 * `telegate audit drift [DIR] [--vendor V] [--format text|json]`: unknown field paths (schema drift the
 * default deny removed) by vendor, endpoint and client version, with count, first and last seen — what
 * a policy author reads to decide which new fields to allow, hash or drop. json: one row per line.
 */
import { driftReport, type DriftRow } from '../audit/query/drift';
import { scanAuditFolder } from './audit-folder';
import { printNoMatch, table } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditDriftOptions { vendor?: string; format: 'text' | 'json' }

const COMMAND = 'telegate audit drift';

function textTable(rows: DriftRow[]): string {
  return table(
    ['VENDOR', 'ENDPOINT', 'CLIENT_VERSION', 'PATH', 'KIND', 'COUNT', 'REQUESTS', 'FIRST_SEEN', 'LAST_SEEN'],
    rows.map((r) => [r.vendor, r.endpoint, r.client_version ?? '-', r.path, r.kind, String(r.count), String(r.requests), r.first_seen, r.last_seen]),
    new Set([5, 6]),
  );
}

export async function runAuditDrift(dir: string | undefined, opts: AuditDriftOptions, io: CliIO): Promise<number> {
  const ran = await scanAuditFolder(COMMAND, dir, io, (scan, progress) => driftReport(scan, {
    ...(opts.vendor === undefined ? {} : { vendor: opts.vendor }),
    ...progress,
  }));
  if (!ran) return EXIT_USAGE;
  const rows = ran.result;
  if (rows.length === 0) {
    printNoMatch(opts.format, io);
    return EXIT_OK;
  }
  io.stdout(opts.format === 'json' ? rows.map((r) => `${JSON.stringify(r)}\n`).join('') : textTable(rows));
  return EXIT_OK;
}
