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
 * is written after the lock is taken and only informs: the lock alone decides.
 *
 * Limits (docs/operations.md): advisory, so only telegate processes honour it; across hosts it holds as
 * far as the shared file system's lock manager does (NFSv4 and CephFS yes; a crashed host's lock is freed
 * when its lease expires; NFS mounted `nolock`, some FUSE and SMB mounts make locks local to one host).
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
  /** Lets the lock go (the writer closed). Idempotent. */
  release(): void;
}

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
  try {
    mkdirSync(folder, { recursive: true, mode: DIR_MODE });
    // Created here, 0600: SQLite would create it with the umask's mode.
    closeSync(openSync(file, 'a', FILE_MODE));
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
  writeFileSync(temp, `${JSON.stringify(holder)}\n`, { mode: FILE_MODE });
  renameSync(temp, target);
}

function readHolder(folder: string, chain: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(folder, `${chain}.holder`), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.since === 'string') {
      return { pid: parsed.pid, host: parsed.host, since: parsed.since, ...(typeof parsed.supervisor === 'number' ? { supervisor: parsed.supervisor } : {}) };
    }
  } catch {
    // missing or unreadable: the holder is unknown
  }
  return undefined;
}

function heldBy(dir: string, chain: string, holder: LockHolder | undefined): AuditError {
  const who = holder
    ? `telegate pid ${holder.pid}${holder.supervisor === undefined ? '' : ` (a worker of pid ${holder.supervisor})`} on host ${holder.host}, since ${holder.since}`
    : 'another process (its holder file is missing)';
  return new AuditError('audit-locked',
    `the audit chain "${chain}" in ${dir} is being written by ${who}. One process writes a chain: stop that one, or give this gateway a replica id of its own (audit.replica, TELEGATE_AUDIT_REPLICA)`);
}
