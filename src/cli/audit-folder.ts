/**
 * The audit folder a query reads (DIR, else TELEGATE_AUDIT_DIR, else ./audit), and the notes a query
 * prints on stderr about lines it skipped. A missing folder is a usage error (exit 2), as for verify.
 */
import { stat } from 'node:fs/promises';
import type { ScanNotes } from '../audit/query/record-scan';
import type { CliIO } from './io';

export function auditFolder(dir: string | undefined): string {
  return dir ?? process.env['TELEGATE_AUDIT_DIR'] ?? './audit';
}

/** An error message when `folder` is not a readable folder, else undefined. */
export async function checkAuditFolder(folder: string): Promise<string | undefined> {
  try {
    const st = await stat(folder);
    return st.isDirectory() ? undefined : `${folder} is not a folder`;
  } catch {
    return `no audit folder at ${folder} (give DIR, or set TELEGATE_AUDIT_DIR)`;
  }
}

export function systemErrorCode(err: unknown): string {
  return err instanceof Error && 'code' in err ? String(err.code) : err instanceof Error ? err.message : String(err);
}

/** Skipped lines never stop a query; they are named so the auditor knows to run verify. */
export function printScanNotes(command: string, notes: ScanNotes, io: CliIO): void {
  for (const t of notes.torn) io.stderr(`${command}: note: ${t.file}:${t.line}: ${t.message}; skipped\n`);
  if (notes.unreadable > 0 && notes.firstUnreadable) {
    const f = notes.firstUnreadable;
    io.stderr(`${command}: note: skipped ${notes.unreadable} unreadable line(s), the first at ${f.file}:${f.line}: ${f.message} (run telegate audit verify)\n`);
  }
  if (notes.files === 0) io.stderr(`${command}: note: no audit files to read\n`);
}
