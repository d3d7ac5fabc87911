/**
 * Opening a chain after a stop or a crash: find where it ends, and cut off a torn last line.
 *
 * A batch is one append of whole lines; a crash can leave its end unwritten (a line without newline, or
 * bytes the disk never got, read back as zeros). Those records were never acknowledged, so no request
 * was forwarded on their account, and removing them loses nothing that left. Only the LAST line may be
 * removed this way, and only when it is not a readable record: a readable one that fails its checks was
 * changed, not torn, and recovery refuses to erase the evidence (AuditError `audit-corrupt-tail`).
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { GENESIS_PREV, type ChainHead } from './chain';
import { AuditError } from './errors';
import type { ChainFile } from './file-naming';
import { checkRecordLine } from './record-check';

const NEWLINE = 0x0a;
const SCAN_CHUNK = 64 * 1024;

export interface TornTail {
  file: string;
  truncated_bytes: number;
  torn_sha256: string;
}

export interface ChainEnd {
  head: ChainHead;
  /** The newest file and its length after recovery; absent for a new chain. */
  newest?: { file: ChainFile; size: number };
  /** What recovery cut from the newest file, to be written as a `recovery` record. */
  torn?: TornTail;
}

interface Tail {
  size: number;
  /** Length of the file up to and including its last whole record. */
  goodLength: number;
  last?: { seq: number; hash: string };
}

/** Position of the last newline before `end`, or -1. */
async function lastNewlineBefore(handle: FileHandle, end: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(SCAN_CHUNK);
  let to = end;
  while (to > 0) {
    const from = Math.max(0, to - SCAN_CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, to - from, from);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (at >= 0) return from + at;
    to = from;
  }
  return -1;
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await handle.read(buf, off, buf.length - off, start + off);
    if (bytesRead === 0) throw new Error('file shrank while being read');
    off += bytesRead;
  }
  return buf;
}

type LineVerdict = { kind: 'record'; seq: number; hash: string } | { kind: 'unreadable' } | { kind: 'altered'; message: string };

async function judgeLine(handle: FileHandle, start: number, end: number): Promise<LineVerdict> {
  const check = checkRecordLine(await readRange(handle, start, end));
  if (check.ok) return { kind: 'record', seq: check.value.record.seq, hash: check.value.record.hash };
  return check.syntax ? { kind: 'unreadable' } : { kind: 'altered', message: check.message };
}

/**
 * Where the file's whole records end. `allowTorn` is false for files before the newest: the writer
 * only ever appends to the newest, so damage anywhere else is not a crash.
 */
async function inspectTail(handle: FileHandle, file: ChainFile, allowTorn: boolean): Promise<Tail> {
  const { size } = await handle.stat();
  if (size === 0) return { size, goodLength: 0 };
  const corrupt = (why: string) => new AuditError('audit-corrupt-tail',
    `${file.path}: ${why}; refusing to append to this chain. Run \`telegate audit verify\`, and move the damaged file aside only after it has been examined`);

  const lastByte = await readRange(handle, size - 1, size);
  // End of the candidate last whole line (its newline), and start of anything torn after it.
  let tornFrom = lastByte[0] === NEWLINE ? size : (await lastNewlineBefore(handle, size)) + 1;
  for (let attempt = 0; tornFrom > 0; attempt++) {
    const lineEnd = tornFrom - 1;
    const lineStart = (await lastNewlineBefore(handle, lineEnd)) + 1;
    const verdict = await judgeLine(handle, lineStart, lineEnd);
    if (verdict.kind === 'record') {
      if (tornFrom < size && !allowTorn) throw corrupt('the file ends in an incomplete line but is not the newest of its chain');
      return { size, goodLength: tornFrom, last: { seq: verdict.seq, hash: verdict.hash } };
    }
    if (verdict.kind === 'altered') throw corrupt(`its last record does not check (${verdict.message})`);
    // An unreadable line ending in a newline: torn only if nothing torn was found after it yet.
    if (tornFrom < size || !allowTorn || attempt > 0) throw corrupt('more than the last line is unreadable');
    tornFrom = lineStart;
  }
  if (!allowTorn) throw corrupt('the file holds no whole record but is not the newest of its chain');
  return { size, goodLength: 0 };
}

async function sha256OfRange(handle: FileHandle, start: number, end: number): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (let pos = start; pos < end;) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, end - pos), pos);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest('hex');
}

/**
 * Finds the end of a replica's chain (files oldest first) and truncates a torn last line of the newest
 * file, durably, before anything new is appended.
 */
export async function recoverChainEnd(files: ChainFile[]): Promise<ChainEnd> {
  const newestFile = files[files.length - 1];
  if (!newestFile) return { head: { nextSeq: 0, prev: GENESIS_PREV } };

  let torn: TornTail | undefined;
  let newestSize: number;
  let last: Tail['last'];
  const handle = await open(newestFile.path, 'r+');
  try {
    const tail = await inspectTail(handle, newestFile, true);
    if (tail.goodLength < tail.size) {
      torn = {
        file: newestFile.name,
        truncated_bytes: tail.size - tail.goodLength,
        torn_sha256: await sha256OfRange(handle, tail.goodLength, tail.size),
      };
      await handle.truncate(tail.goodLength);
      await handle.datasync();
    }
    newestSize = tail.goodLength;
    last = tail.last;
  } finally {
    await handle.close();
  }

  // The newest file may hold no record (created just before a crash): the chain ends in an older one.
  for (let i = files.length - 2; !last && i >= 0; i--) {
    const older = await open(files[i]!.path, 'r');
    try {
      last = (await inspectTail(older, files[i]!, false)).last;
    } finally {
      await older.close();
    }
  }
  const head = last ? { nextSeq: last.seq + 1, prev: last.hash } : { nextSeq: 0, prev: GENESIS_PREV };
  const end: ChainEnd = { head, newest: { file: newestFile, size: newestSize } };
  if (torn) end.torn = torn;
  return end;
}
