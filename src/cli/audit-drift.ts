/**
 * `telegate audit drift [DIR] [--vendor V] [--format text|json]`: unknown field paths (schema drift the
 * default deny removed) by vendor, endpoint and client version, with count, first and last seen — what
 * a policy author reads to decide which new fields to allow, hash or drop. json: one row per line.
 */
import { driftReport, type DriftRow } from '../audit/query/drift';
import { planScan } from '../audit/query/record-scan';
import { auditFolder, checkAuditFolder, printScanNotes, systemErrorCode } from './audit-folder';
import { table } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { scanProgress } from './scan-progress';

export interface AuditDriftOptions { vendor?: string; format: 'text' | 'json' }

const COMMAND = 'telegate audit drift';

function textTable(rows: DriftRow[]): string {
  return table(
    ['VENDOR', 'ENDPOINT', 'CLIENT_VERSION', 'PATH', 'COUNT', 'REQUESTS', 'FIRST_SEEN', 'LAST_SEEN'],
    rows.map((r) => [r.vendor, r.endpoint, r.client_version ?? '-', r.path, String(r.count), String(r.requests), r.first_seen, r.last_seen]),
    new Set([4, 5]),
  );
}

export async function runAuditDrift(dir: string | undefined, opts: AuditDriftOptions, io: CliIO): Promise<number> {
  const folder = auditFolder(dir);
  const problem = await checkAuditFolder(folder);
  if (problem) {
    io.stderr(`${COMMAND}: ${problem}\n`);
    return EXIT_USAGE;
  }
  const progress = scanProgress(io);
  let rows: DriftRow[];
  try {
    const scan = await planScan(folder);
    rows = await driftReport(scan, {
      ...(opts.vendor === undefined ? {} : { vendor: opts.vendor }),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    progress.done();
    printScanNotes(COMMAND, scan.notes, io);
  } catch (err) {
    progress.done();
    io.stderr(`${COMMAND}: cannot read ${folder}: ${systemErrorCode(err)}\n`);
    return EXIT_USAGE;
  }
  if (rows.length === 0) {
    if (opts.format === 'json') io.stderr('no records match\n');
    else io.stdout('no records match\n');
    return EXIT_OK;
  }
  io.stdout(opts.format === 'json' ? rows.map((r) => `${JSON.stringify(r)}\n`).join('') : textTable(rows));
  return EXIT_OK;
}
