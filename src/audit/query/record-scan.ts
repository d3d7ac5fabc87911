/**
 * Streams the records of every chain in an audit folder for the queries, one line at a time
 * (readChainRecords: the body is a byte range, never built). Lines that are not records are skipped and
 * counted, not fatal: a query over a log the writer is appending to meets a half-written last line, and
 * an auditor still wants the rest. `telegate audit verify` is the check; a query only reports what it
 * skipped.
 */
import { stat } from 'node:fs/promises';
import { listChains, utcDay, type AuditChain, type ChainFile } from '../file-naming';
import { readChainRecords } from '../reader';
import type { AuditRecord } from '../types';

export interface ScannedRecord {
  file: ChainFile;
  line: number;
  record: AuditRecord;
  /** The whole line; valid until the next record is read (copy what you keep). */
  bytes: Buffer;
  body?: { start: number; end: number };
}

export interface ScanProgress { bytesRead: number; bytesTotal: number }

export interface ScanOptions {
  /** Skip files that can only hold records before this instant (see `filesFrom`). */
  since?: number;
  onProgress?: (progress: ScanProgress) => void;
  chunkBytes?: number;
}

export interface SkippedLine { file: string; line: number; message: string }

/** What a scan passed over, for a note on stderr. */
export interface ScanNotes {
  /** Lines that are not readable records, other than a torn last line. */
  unreadable: number;
  firstUnreadable?: SkippedLine;
  /** Last lines without a newline: a write in progress, or a crash the writer has not yet recovered. */
  torn: SkippedLine[];
  files: number;
  records: number;
}

export function emptyNotes(): ScanNotes {
  return { unreadable: 0, torn: [], files: 0, records: 0 };
}

/**
 * A record's UTC day is never later than its file's date: the writer opens a new file when the day of the
 * next record is later, and a clock stepping back keeps writing the current file. So a file dated before
 * the day of `since` holds only earlier records.
 */
function filesFrom(files: ChainFile[], since: number | undefined): ChainFile[] {
  if (since === undefined) return files;
  const day = utcDay(new Date(since));
  return files.filter((f) => f.date >= day);
}

export interface AuditScan {
  chains: AuditChain[];
  /** Sizes when the scan was planned, for progress (a file being appended to may grow meanwhile). */
  sizes: Map<string, number>;
  bytesTotal: number;
  notes: ScanNotes;
}

export async function planScan(dir: string, options: ScanOptions = {}): Promise<AuditScan> {
  const chains = (await listChains(dir)).map((chain) => ({ replica: chain.replica, files: filesFrom(chain.files, options.since) }));
  const sizes = new Map<string, number>();
  let bytesTotal = 0;
  for (const c of chains) {
    for (const f of c.files) {
      const size = (await stat(f.path)).size;
      sizes.set(f.path, size);
      bytesTotal += size;
    }
  }
  return { chains, sizes, bytesTotal, notes: emptyNotes() };
}

export function noteUnreadable(notes: ScanNotes, at: { file: ChainFile; line: number }, message: string): void {
  notes.unreadable++;
  notes.firstUnreadable ??= { file: at.file.path, line: at.line, message };
}

/** The records of one chain, oldest first. `done` counts the bytes of files finished before it. */
export async function* scanChain(scan: AuditScan, chain: AuditChain, options: ScanOptions, done: { bytes: number }): AsyncGenerator<ScannedRecord> {
  const { notes } = scan;
  let current: ChainFile | undefined;
  for await (const l of readChainRecords(chain, options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes })) {
    if (l.file !== current) {
      if (current) done.bytes += scan.sizes.get(current.path) ?? 0;
      current = l.file;
      notes.files++;
    }
    options.onProgress?.({ bytesRead: done.bytes + l.offset + l.bytes.length, bytesTotal: scan.bytesTotal });
    if (!l.terminated) {
      notes.torn.push({ file: l.file.path, line: l.line, message: 'the last line has no newline (a write in progress, or a crash)' });
      continue;
    }
    if (!l.parsed.ok) {
      noteUnreadable(notes, l, l.parsed.error.message);
      continue;
    }
    notes.records++;
    const out: ScannedRecord = { file: l.file, line: l.line, record: l.parsed.record, bytes: l.bytes };
    if (l.parsed.body) out.body = l.parsed.body;
    yield out;
  }
  if (current) done.bytes += scan.sizes.get(current.path) ?? 0;
}

/** Every record of every chain, chain by chain (the unnamed replica first), each chain oldest first. */
export async function* scanAll(scan: AuditScan, options: ScanOptions = {}): AsyncGenerator<ScannedRecord> {
  const done = { bytes: 0 };
  for (const chain of scan.chains) yield* scanChain(scan, chain, options, done);
}
