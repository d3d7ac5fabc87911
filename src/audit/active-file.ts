/**
 * The file a replica currently appends to, and rotation: a new file when the UTC day of the next record
 * is later than the file's day, or when the record would take the file past `maxFileBytes` (a record
 * larger than that gets a file of its own). A clock that steps back never creates a file that would sort
 * before the current one: chain order is file-name order.
 *
 * The file's durable length is tracked so that a failed write can be cut back to it: whatever a failed
 * write left behind was never acknowledged, and leaving it would break the chain for the next record.
 */
import path from 'node:path';
import { AuditError, systemCode } from './errors';
import { FILE_MODE, writeAll, type AuditFileOps } from './file-ops';
import { formatAuditFileName, type AuditFileName } from './file-naming';

interface OpenFile {
  name: AuditFileName;
  fileName: string;
  fd: number;
  /** Bytes known durable (written and synced). */
  size: number;
}

export interface FileCounters { writes: number; syncs: number }

export class ActiveFile {
  private current: OpenFile | null = null;
  /** Set when a failed write could not be cut back yet; nothing is appended until it is. */
  private dirtyTail = false;

  constructor(
    private readonly ops: AuditFileOps,
    private readonly dir: string,
    private readonly replica: string | null,
    private readonly maxFileBytes: number,
    private readonly fsync: boolean,
    readonly counters: FileCounters,
  ) {}

  /** Continues the chain's newest file, whose whole records end at `size` (recovery checked it). */
  async adopt(name: AuditFileName, size: number): Promise<void> {
    const fileName = formatAuditFileName(name);
    const fd = await this.ops.openAppend(path.join(this.dir, fileName), false);
    try {
      const st = await this.ops.fstatSize(fd);
      if (st.size !== size) throw new Error(`${fileName} changed size while it was opened`);
      if (st.mode !== FILE_MODE) await this.ops.fchmod(fd, FILE_MODE);
    } catch (err) {
      await this.ops.close(fd);
      throw err;
    }
    this.current = { name, fileName, fd, size };
  }

  get fileName(): string | undefined {
    return this.current?.fileName;
  }

  /** Bytes of the current file known durable. */
  get durableSize(): number {
    return this.current?.size ?? 0;
  }

  /** Whether a record of `bytes` on UTC day `day`, after `pendingBytes` not yet written, needs a new file. */
  needsNewFile(day: string, pendingBytes: number, bytes: number): boolean {
    const cur = this.current;
    if (!cur) return true;
    if (day > cur.name.date) return true;
    const used = cur.size + pendingBytes;
    return used > 0 && used + bytes > this.maxFileBytes;
  }

  /** Opens the next file for a record of UTC day `day`; the caller has flushed the current one. */
  async rotate(day: string): Promise<void> {
    // A failed write's leftovers must go before the file is left behind for good.
    await this.repairTail();
    const cur = this.current;
    const name: AuditFileName = !cur
      ? { date: day, replica: this.replica, index: 0 }
      : day > cur.name.date
        ? { date: day, replica: this.replica, index: 0 }
        : { date: cur.name.date, replica: this.replica, index: cur.name.index + 1 };
    const fileName = formatAuditFileName(name);
    let fd: number;
    try {
      fd = await this.createEmpty(fileName);
    } catch (err) {
      throw new AuditError('audit-write-failed', `cannot create audit file ${fileName} in ${this.dir}: ${systemCode(err)}`, { cause: err });
    }
    try {
      // The umask cannot widen 0600, but a narrower one (0400) would stop our own appends after a reopen.
      await this.ops.fchmod(fd, FILE_MODE);
      await this.ops.fsyncDir(this.dir);
    } catch (err) {
      await this.ops.close(fd).catch(() => undefined);
      throw new AuditError('audit-write-failed', `cannot make new audit file ${fileName} durable: ${systemCode(err)}`, { cause: err });
    }
    if (cur) await this.ops.close(cur.fd).catch(() => undefined);
    this.current = { name, fileName, fd, size: 0 };
  }

  /**
   * A new, empty file. An empty one of that name is taken over: an earlier attempt created it and then
   * failed to sync the folder. A file with content is never appended to out of order.
   */
  private async createEmpty(fileName: string): Promise<number> {
    const file = path.join(this.dir, fileName);
    try {
      return await this.ops.openAppend(file, true);
    } catch (err) {
      if (systemCode(err) !== 'EEXIST') throw err;
    }
    const fd = await this.ops.openAppend(file, false);
    const st = await this.ops.fstatSize(fd).catch(async (err: unknown) => { await this.ops.close(fd); throw err; });
    if (st.size !== 0) {
      await this.ops.close(fd);
      throw new Error('EEXIST (a file of that name already holds records)');
    }
    return fd;
  }

  /** Appends whole lines and syncs them; on failure cuts the file back to its durable length. */
  async appendDurably(chunks: Buffer[], bytes: number): Promise<void> {
    const cur = this.current;
    if (!cur) throw new Error('no audit file is open');
    await this.repairTail();
    try {
      this.counters.writes++;
      await writeAll(this.ops, cur.fd, chunks, bytes);
      if (this.fsync) {
        this.counters.syncs++;
        await this.ops.fdatasync(cur.fd);
      }
    } catch (err) {
      this.dirtyTail = true;
      await this.repairTail().catch(() => undefined);
      throw new AuditError('audit-write-failed', `cannot write audit file ${cur.fileName}: ${systemCode(err)}; the record is not durable`, { cause: err });
    }
    cur.size += bytes;
  }

  /**
   * Cuts a failed write's leftovers off, and syncs the cut: after a failed fdatasync the page cache may
   * hold bytes the disk never got, and a later sync must not make them durable after all.
   */
  private async repairTail(): Promise<void> {
    const cur = this.current;
    if (!this.dirtyTail || !cur) return;
    try {
      await this.ops.ftruncate(cur.fd, cur.size);
      if (this.fsync) await this.ops.fdatasync(cur.fd);
    } catch (err) {
      throw new AuditError('audit-write-failed', `cannot cut the unacknowledged end off audit file ${cur.fileName}: ${systemCode(err)}`, { cause: err });
    }
    this.dirtyTail = false;
  }

  async close(): Promise<void> {
    const cur = this.current;
    this.current = null;
    if (cur) await this.ops.close(cur.fd);
  }
}
