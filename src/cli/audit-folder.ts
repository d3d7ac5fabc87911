/**
 * The audit folder a query reads (DIR, else the configured `audit.dir`: `--config`, TELEGATE_AUDIT_DIR,
 * else ./audit), the scan of it every query command runs, and the notes a query prints on stderr about
 * lines it skipped. A missing or unreadable folder is a usage error (exit 2), as for verify.
 */
import { stat } from 'node:fs/promises';
import { planScan, type AuditScan, type ScanNotes, type ScanOptions } from '../audit/query/record-scan';
import { configuredDefault, type ConfigOption } from './cli-config';
import type { CliIO } from './io';
import { scanProgress } from './scan-progress';

/** Where an audit command reads: DIR as given, or the configuration's folder. */
export interface AuditLocation extends ConfigOption { dir?: string | undefined }

/** The folder, or undefined after the configuration's errors were printed (the command exits 2). */
export async function auditFolder(command: string, at: AuditLocation, io: CliIO): Promise<string | undefined> {
  const resolved = await configuredDefault(command, at.dir, at, io, (c) => c.audit.dir);
  return resolved.ok ? resolved.value : undefined;
}

/** An error message when `folder` is not a readable folder, else undefined. */
export async function checkAuditFolder(folder: string): Promise<string | undefined> {
  try {
    const st = await stat(folder);
    return st.isDirectory() ? undefined : `${folder} is not a folder`;
  } catch {
    return `no audit folder at ${folder} (give DIR, --config, or set TELEGATE_AUDIT_DIR)`;
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

/** What a query passes on to the scan: the progress callback, present only when progress is shown. */
export type ScanProgressOption = Pick<ScanOptions, 'onProgress'>;

/**
 * Runs `query` over the audit folder, with progress on stderr, then prints the scan's notes. `plan.since`
 * leaves out files that can only hold earlier records. When the folder is missing or cannot be read the
 * message is on stderr, prefixed with `command`, and the answer is undefined: the command exits 2.
 */
export async function scanAuditFolder<T>(
  command: string,
  at: AuditLocation,
  io: CliIO,
  query: (scan: AuditScan, progress: ScanProgressOption) => Promise<T>,
  plan: Pick<ScanOptions, 'since'> = {},
): Promise<{ folder: string; result: T } | undefined> {
  const folder = await auditFolder(command, at, io);
  if (folder === undefined) return undefined;
  const problem = await checkAuditFolder(folder);
  if (problem) {
    io.stderr(`${command}: ${problem}\n`);
    return undefined;
  }
  const progress = scanProgress(io);
  try {
    const scan = await planScan(folder, plan);
    const result = await query(scan, progress.onProgress ? { onProgress: progress.onProgress } : {});
    progress.done();
    printScanNotes(command, scan.notes, io);
    return { folder, result };
  } catch (err) {
    progress.done();
    io.stderr(`${command}: cannot read ${folder}: ${systemErrorCode(err)}\n`);
    return undefined;
  }
}
