/**
 * `telegate audit drift [DIR] [--vendor V] [--format text|json]`: unknown field paths (schema drift the
 * default deny removed) by vendor, endpoint and client version, with count, first and last seen — what
 * a policy author reads to decide which new fields to allow, hash or drop. Then, where a shadow level is
 * configured (`vendors.<v>.shadow_level`), what that level would have done differently, path by path.
 * json: one row per line; shadow rows carry `"kind":"shadow"`.
 */
import { driftReport, type DriftRow } from '../audit/query/drift';
import { ShadowAggregate, type ShadowRow } from '../audit/query/shadow';
import { scanAuditFolder, type AuditLocation } from './audit-folder';
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

function shadowTable(rows: ShadowRow[]): string {
  return table(
    ['VENDOR', 'ENDPOINT', 'LEVEL', 'SHADOW', 'WOULD', 'PATH', 'COUNT', 'REQUESTS', 'FIRST_SEEN', 'LAST_SEEN'],
    rows.map((r) => [r.vendor, r.endpoint, String(r.level), String(r.shadow_level), r.would, r.path, String(r.count), String(r.requests), r.first_seen, r.last_seen]),
    new Set([2, 3, 6, 7]),
  );
}

export async function runAuditDrift(at: AuditLocation, opts: AuditDriftOptions, io: CliIO): Promise<number> {
  const shadow = new ShadowAggregate();
  const ran = await scanAuditFolder(COMMAND, at, io, (scan, progress) => driftReport(scan, {
    ...(opts.vendor === undefined ? {} : { vendor: opts.vendor }),
    ...progress,
    shadow,
  }));
  if (!ran) return EXIT_USAGE;
  const rows = ran.result;
  const shadowRows = shadow.rows();
  if (rows.length === 0 && shadowRows.length === 0) {
    printNoMatch(opts.format, io);
    return EXIT_OK;
  }
  if (opts.format === 'json') {
    io.stdout(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    io.stdout(shadowRows.map((r) => `${JSON.stringify({ kind: 'shadow', ...r })}\n`).join(''));
    return EXIT_OK;
  }
  io.stdout(rows.length > 0 ? textTable(rows) : 'no unknown fields\n');
  if (shadowRows.length > 0) {
    io.stdout('\nshadow level: what it would do differently from the enforced level (sent = in clear, hashed, dropped = not sent)\n');
    io.stdout(shadowTable(shadowRows));
  }
  return EXIT_OK;
}
