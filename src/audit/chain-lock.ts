/**
 * One writer per chain (SPEC §6): an exclusive lock on `<audit.dir>/locks/<chain>.lock`, taken before a
 * writer reads or repairs the chain's end and held until it closes. Two processes appending to one hash
 * chain would interleave records that each chain to their own predecessor, and the chain would break.
 *
 * The lock is an OS lock, so the kernel releases it when the process ends, however it ends: a crashed
 * writer never blocks the restart. Node has no flock(2); its built-in SQLite (node:sqlite) takes POSIX
 * advisory record locks (fcntl F_SETLK) on a database file, and an open `BEGIN EXCLUSIVE` transaction
 * holds an exclusive one for as long as the connection stays open. SQLite also refuses a second
 * connection in the same process (fcntl locks alone would not), so two gateways in one process are
 * refused too. No native add-on to build, nothing written to the lock file itself.
 *
 * Beside the lock, `<chain>.holder` says who holds it (pid, host, since), for the refusal message. It
 * is written after the lock is taken and only informs: the lock alone decides. It is read without
 * following a link and without waiting (O_NOFOLLOW, O_NONBLOCK), and only as a regular file: a FIFO put
 * there must not hang a start, nor a link make the refusal name someone else.
 *
 * An OS lock belongs to an inode, not to a path: whoever removes or replaces the lock file lets the next
 * process lock a new inode while this one still holds the old. So the holder confirms, before each batch
 * and every LOCK_CHECK_MS, that the path still names the inode it locked (`check()`), and the writer stops
 * writing once it does not.
 *
 * Limits (docs/operations.md): advisory, so only telegate processes honour it; across hosts it holds as
 * far as the shared file system's lock manager does (NFSv4 and CephFS yes; a crashed host's lock is freed
 * when its lease expires; NFS mounted `nolock`, some FUSE and SMB mounts make locks local to one host).
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AuditError, systemCode } from './errors';
import { DIR_MODE, FILE_MODE } from './file-ops';

/** Who holds a chain's lock, as its holder file says. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601 UTC: when it took the lock. */
  since: string;
  /** A worker's supervising process (src/cluster): while it lives, the worker is a live writer. */
  supervisor?: number;
}

export interface LockOptions {
  /** Recorded in the holder file: the pid of the process supervising this writer (a worker's). */
  supervisor?: number;
  /**
   * How long to wait when the holder is an orphaned worker: on this host, its supervisor gone. Such a
   * worker ends as soon as its event loop sees the channel to the dead supervisor closed (src/cluster),
   * and a supervisor started again at once must not fail because of it. Any other holder is a live
   * writer: refused at once.
   */
  orphanWaitMs?: number;
  now?: () => Date;
}

export interface ChainLock {
  /** The chain's name: its replica id, or `default`. */
  readonly chain: string;
  readonly file: string;
  /**
   * undefined while the lock file's path still names the inode this lock holds; otherwise what happened
   * to it (removed, replaced): another process may now lock the chain, so this one must stop writing.
   */
  check(): string | undefined;
  /** Lets the lock go (the writer closed). Idempotent. */
  release(): void;
}

/** How often a writer confirms its lock file between batches (writer.ts). */
export const LOCK_CHECK_MS = 250;
/** A holder file is one short JSON line; more is not one telegate wrote. */
const HOLDER_MAX_BYTES = 4096;

/** The folder inside audit.dir that holds the locks (not a chain file: readers skip folders). */
export const LOCK_FOLDER = 'locks';
/** How often a waiting writer tries the lock again. */
const RETRY_MS = 100;
/** SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock. */
const BUSY_CODES = new Set([5, 6]);

export function chainName(replica: string | null): string {
  return replica ?? 'default';
}

/**
 * Takes the chain's lock. Throws AuditError `audit-locked`, naming the holder, while another writer
 * holds it, after waiting up to `orphanWaitMs` if that writer is an orphaned worker about to end.
 */
export async function lockChain(dir: string, replica: string | null, options: LockOptions = {}): Promise<ChainLock> {
  const deadline = Date.now() + (options.orphanWaitMs ?? 0);
  for (;;) {
    const attempt = tryLock(dir, chainName(replica), options);
    if ('release' in attempt) return attempt;
    if (Date.now() >= deadline || !isOrphan(attempt.holder)) throw heldBy(dir, chainName(replica), attempt.holder);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** A worker on this host whose supervisor is gone (signal 0 says no such process). */
function isOrphan(holder: LockHolder | undefined): boolean {
  if (holder?.supervisor === undefined || holder.host !== hostname()) return false;
  try {
    process.kill(holder.supervisor, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function tryLock(dir: string, chain: string, options: LockOptions): ChainLock | { holder: LockHolder | undefined } {
  const folder = path.join(dir, LOCK_FOLDER);
  const file = path.join(folder, `${chain}.lock`);
  let db: DatabaseSync;
  let opened: { dev: number; ino: number };
  try {
    mkdirSync(folder, { recursive: true, mode: DIR_MODE });
    // Created here, 0600: SQLite would create it with the umask's mode. Neither a link (O_NOFOLLOW) nor a
    // FIFO (O_NONBLOCK: no wait for a reader; a regular file is asked for below) is ever taken for the lock.
    const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, FILE_MODE);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error('not a regular file');
      opened = { dev: st.dev, ino: st.ino };
    } finally {
      closeSync(fd);
    }
    db = new DatabaseSync(file, { timeout: 0 });
  } catch (err) {
    throw new AuditError('audit-lock', `cannot open the chain lock ${file}: ${systemCode(err)}`, { cause: err });
  }
  try {
    // No rollback journal file beside the lock: nothing is ever written to the database.
    db.exec('PRAGMA journal_mode = MEMORY; BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    const errcode = (err as { errcode?: unknown }).errcode;
    if (typeof errcode === 'number' && BUSY_CODES.has(errcode)) return { holder: readHolder(folder, chain) };
    throw new AuditError('audit-lock', `cannot lock ${file} (does this file system support locks?): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // The inode the lock is on, as the path names it now that the lock is held: the one opened above, or
  // the file was swapped while SQLite opened it by name, and the lock may be on another inode.
  const locked = statSync(file, { throwIfNoEntry: false });
  if (!locked || locked.dev !== opened.dev || locked.ino !== opened.ino) {
    db.close();
    throw new AuditError('audit-lock', `the chain lock ${file} was removed or replaced while it was being taken; start again`);
  }
  const holder: LockHolder = {
    pid: process.pid, host: hostname(), since: (options.now ?? (() => new Date()))().toISOString(),
    ...(options.supervisor === undefined ? {} : { supervisor: options.supervisor }),
  };
  try {
    writeHolder(folder, chain, holder);
  } catch (err) {
    db.close();
    throw new AuditError('audit-lock', `cannot write the lock's holder file in ${folder}: ${systemCode(err)}`, { cause: err });
  }
  let held = true;
  return {
    chain, file,
    check() {
      const now = statSync(file, { throwIfNoEntry: false });
      if (!now) return `its lock file ${file} was removed while this process held the lock`;
      if (now.dev !== locked.dev || now.ino !== locked.ino) return `its lock file ${file} was replaced while this process held the lock (another process may now lock it)`;
      return undefined;
    },
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}

function writeHolder(folder: string, chain: string, holder: LockHolder): void {
  const target = path.join(folder, `${chain}.holder`);
  const temp = `${target}.${process.pid}.tmp`;
  // A leftover of a crashed process with this pid, or a link put there: gone, then created exclusively
  // (O_EXCL does not follow a link).
  try { unlinkSync(temp); } catch { /* not there */ }
  writeFileSync(temp, `${JSON.stringify(holder)}\n`, { mode: FILE_MODE, flag: 'wx' });
  renameSync(temp, target);
}

function readHolder(folder: string, chain: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readRegularFile(path.join(folder, `${chain}.holder`))) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.since === 'string') {
      return { pid: parsed.pid, host: parsed.host, since: parsed.since, ...(typeof parsed.supervisor === 'number' ? { supervisor: parsed.supervisor } : {}) };
    }
  } catch {
    // missing or unreadable: the holder is unknown
  }
  return undefined;
}

/** A small regular file's text; a link, FIFO, device or folder throws at once instead of being followed or waited on. */
function readRegularFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
    const buffer = Buffer.alloc(HOLDER_MAX_BYTES);
    const n = readSync(fd, buffer, 0, HOLDER_MAX_BYTES, 0);
    return buffer.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

function heldBy(dir: string, chain: string, holder: LockHolder | undefined): AuditError {
  const who = holder
    ? `telegate pid ${holder.pid}${holder.supervisor === undefined ? '' : ` (a worker of pid ${holder.supervisor})`} on host ${holder.host}, since ${holder.since}`
    : 'another process (its holder file is missing or not a regular file telegate wrote)';
  return new AuditError('audit-locked',
    `the audit chain "${chain}" in ${dir} is being written by ${who}. One process writes a chain: stop that one, or give this gateway a replica id of its own (audit.replica, TELEGATE_AUDIT_REPLICA)`);
}
