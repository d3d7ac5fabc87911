/**
 * The few file-system calls the writer makes, behind one interface so that tests can make a write or an
 * fdatasync fail on demand while every other call stays real (and really syncs).
 */
import fs from 'node:fs';
import { promisify } from 'node:util';

export interface AuditFileOps {
  /** Opens for appending; `exclusive` refuses an existing file. */
  openAppend(path: string, exclusive: boolean): Promise<number>;
  /** May write fewer bytes than given; returns the count. */
  writev(fd: number, chunks: Buffer[]): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fchmod(fd: number, mode: number): Promise<void>;
  fstatSize(fd: number): Promise<{ size: number; mode: number }>;
  /** Makes a new directory entry durable. */
  fsyncDir(dir: string): Promise<void>;
  close(fd: number): Promise<void>;
}

const openAsync = promisify(fs.open);
const writevAsync = promisify(fs.writev);
const fdatasyncAsync = promisify(fs.fdatasync);
const ftruncateAsync = promisify(fs.ftruncate);
const fchmodAsync = promisify(fs.fchmod);
const fstatAsync = promisify(fs.fstat);
const fsyncAsync = promisify(fs.fsync);
const closeAsync = promisify(fs.close);

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export const nodeFileOps: AuditFileOps = {
  openAppend: (path, exclusive) => openAsync(path, exclusive ? 'ax' : 'a', FILE_MODE),
  writev: async (fd, chunks) => (await writevAsync(fd, chunks)).bytesWritten,
  fdatasync: (fd) => fdatasyncAsync(fd),
  ftruncate: (fd, length) => ftruncateAsync(fd, length),
  fchmod: (fd, mode) => fchmodAsync(fd, mode),
  fstatSize: async (fd) => {
    const st = await fstatAsync(fd);
    return { size: st.size, mode: st.mode & 0o777 };
  },
  fsyncDir: async (dir) => {
    const fd = await openAsync(dir, 'r');
    try {
      await fsyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  },
  close: (fd) => closeAsync(fd),
};

/** Writes every byte of `chunks`, continuing after short writes. */
export async function writeAll(ops: AuditFileOps, fd: number, chunks: Buffer[], total: number): Promise<void> {
  let rest = chunks;
  let left = total;
  while (left > 0) {
    const written = await ops.writev(fd, rest);
    if (written <= 0) throw new Error('write made no progress');
    left -= written;
    if (left === 0) return;
    let skip = written;
    const next: Buffer[] = [];
    for (const c of rest) {
      if (skip >= c.length) { skip -= c.length; continue; }
      next.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    rest = next;
  }
}
