/**
 * `telegate audit verify [DIR] [--format json]`: proves each chain in the folder whole, or names the
 * first bad record as `file:line: seq N: message` (exit 1). As with `policy check`, the result goes to
 * stdout and a failure summary to stderr. A folder that does not exist is a usage error (exit 2), and
 * a folder without audit files fails the check: verifying nothing must not look like a pass.
 */
import { stat } from 'node:fs/promises';
import { verifyAuditDir } from '../audit/verify';
import type { VerifyError, VerifyReport } from '../audit/types';
import { auditFolder, type AuditLocation } from './audit-folder';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditVerifyOptions { format?: 'text' | 'json' }

export function formatVerifyError(e: VerifyError): string {
  return `${e.file}:${e.line}: ${e.seq === undefined ? '' : `seq ${e.seq}: `}${e.message}`;
}

function textReport(dir: string, report: VerifyReport): string {
  const lines: string[] = [];
  if (report.firstError) lines.push(formatVerifyError(report.firstError));
  for (const c of report.chains) {
    const name = c.replica === null ? 'chain (no replica id)' : `chain of replica ${c.replica}`;
    const state = c.error ? 'BROKEN' : c.stopped ? 'ok, closed' : 'ok, open (writer running, or it did not stop cleanly)';
    lines.push(`${name}: ${c.files.length} file(s), ${c.records} good record(s), last hash ${c.lastHash}: ${state}`);
  }
  const total = report.chains.reduce((n, c) => n + c.records, 0);
  if (report.ok) lines.push(`ok: ${dir}: ${report.chains.length} chain(s), ${total} record(s) verified`);
  return `${lines.join('\n')}\n`;
}

export async function runAuditVerify(at: AuditLocation, opts: AuditVerifyOptions, io: CliIO): Promise<number> {
  const folder = await auditFolder('telegate audit verify', at, io);
  if (folder === undefined) return EXIT_USAGE;
  try {
    const st = await stat(folder);
    if (!st.isDirectory()) {
      io.stderr(`telegate audit verify: ${folder} is not a folder\n`);
      return EXIT_USAGE;
    }
  } catch {
    io.stderr(`telegate audit verify: no audit folder at ${folder} (give DIR, --config, or set TELEGATE_AUDIT_DIR)\n`);
    return EXIT_USAGE;
  }
  let report: VerifyReport;
  try {
    report = await verifyAuditDir(folder);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    io.stderr(`telegate audit verify: cannot read ${folder}: ${code}\n`);
    return EXIT_USAGE;
  }
  io.stdout(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : textReport(folder, report));
  if (report.ok) return EXIT_OK;
  io.stderr(`audit verify: ${folder}: the audit log is not whole; the first bad record is named above\n`);
  return EXIT_CHECK_FAILED;
}
