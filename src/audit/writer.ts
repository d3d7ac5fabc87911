/**
 * The audit writer: appends hash-chained records and resolves each append only once its record is on
 * disk (written and fdatasync'ed), so the gateway forwards nothing that is not already in the log.
 *
 * Records are chained synchronously, in call order, when appended: chain order is call order. Writing
 * is group-committed (group-commit.ts): concurrent requests share one write and one sync.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { encodeRecord, type ChainHead, type EncodedRecord, type RecordMember, type RecordType } from './chain';
import { ActiveFile } from './active-file';
import { LOCK_CHECK_MS, lockChain, type ChainLock } from './chain-lock';
import { AuditError, systemCode } from './errors';
import { DIR_MODE, nodeFileOps, type AuditFileOps } from './file-ops';
import { isValidReplicaId, listChainFiles } from './file-naming';
import { GroupCommit, type BatchOutcome } from './group-commit';
import { egressMembers, outcomeMembers, policyMembers, recoveryMembers, startMembers } from './record-members';
import { recoverChainEnd, type TornTail } from './recovery';
import type {
  AuditWriter, AuditWriterOptions, AuditWriterStats, EgressFields, OutcomeFields, PolicyLoadFields,
} from './types';

export interface FileAuditWriter extends AuditWriter {
  readonly stats: Readonly<AuditWriterStats>;
}

/** Replaceable parts, for tests that must make the disk fail or the process die. */
export interface WriterSeams {
  fileOps?: AuditFileOps;
  /**
   * Handed the chain's lock once taken. A test simulating a crash releases it, as the kernel would for a
   * dead process, and abandons the writer without closing it (no stop record).
   */
  lockTaken?: (lock: ChainLock) => void;
}

interface PendingRecord extends EncodedRecord {
  /** The hash this record chains to, to rewind the head if it is lost. */
  prev: string;
}

function notOwner(): AuditError {
  return new AuditError('audit-not-owner', 'this process no longer owns the audit chain (its supervisor is gone); the record was not written');
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function lockLostError(message: string): AuditError {
  return new AuditError('audit-lock-lost', `the audit chain's lock is no longer this process's: ${message}; nothing more is written to the chain (restart telegate)`);
}

class ChainWriter implements FileAuditWriter {
  readonly stats: AuditWriterStats = { records: 0, writes: 0, syncs: 0, failedBatches: 0, bytes: 0 };
  private head: ChainHead;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private lastBatchOk = true;
  /** Set once the lock file is found removed or replaced: final, the writer writes nothing more. */
  private lockLost: AuditError | undefined;
  private readonly lockWatch: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  private readonly file: ActiveFile;
  private readonly group: GroupCommit<PendingRecord>;

  constructor(
    private readonly options: AuditWriterOptions,
    head: ChainHead,
    ops: AuditFileOps,
    private readonly now: () => Date,
    /** Held from before recovery until the file is closed: one writer per chain. */
    private readonly lock: ChainLock,
  ) {
    this.head = head;
    this.file = new ActiveFile(ops, options.dir, options.replica ?? null, options.maxFileBytes, options.fsync, this.stats);
    this.group = new GroupCommit<PendingRecord>((batch) => this.commit(batch), (lost, error) => this.rewind(lost, error));
    // Between batches too: an idle gateway learns of a replaced lock before its next request.
    this.lockWatch = setInterval(() => { this.confirmLock(); }, LOCK_CHECK_MS).unref();
  }

  /** Whether the lock file is still the one this writer locked; the first time it is not, says so. */
  private confirmLock(): boolean {
    if (this.lockLost) return false;
    const problem = this.lock.check();
    if (problem === undefined) return true;
    this.lockLost = lockLostError(problem);
    clearInterval(this.lockWatch);
    try {
      this.options.onLockLost?.(this.lockLost.message);
    } catch {
      // The writer has stopped either way.
    }
    return false;
  }

  private owns(): boolean {
    return this.options.owner?.() ?? true;
  }

  get activeFile(): ActiveFile {
    return this.file;
  }

  get healthy(): boolean {
    return this.lastBatchOk && this.state === 'open' && this.lockLost === undefined;
  }

  appendEgress(fields: EgressFields): Promise<void> {
    return this.append('egress', () => egressMembers(fields));
  }

  appendOutcome(fields: OutcomeFields): Promise<void> {
    return this.append('outcome', () => outcomeMembers(fields));
  }

  appendPolicy(fields: PolicyLoadFields): Promise<void> {
    return this.append('policy', () => policyMembers(fields));
  }

  /** Chains the record now (seq, prev, hash) and queues it for the next batch. */
  append(type: RecordType, members: () => RecordMember[], internal = false): Promise<void> {
    if (this.state !== 'open' && !internal) {
      return Promise.reject(new AuditError('audit-closed', `the audit writer for ${this.options.dir} is closed; the record was not written`));
    }
    if (!this.owns()) return Promise.reject(notOwner());
    if (this.lockLost) return Promise.reject(this.lockLost);
    let record: EncodedRecord;
    try {
      record = encodeRecord(this.head, this.now().toISOString(), type, members());
    } catch (err) {
      if (err instanceof AuditError) return Promise.reject(err);
      return Promise.reject(new AuditError('audit-record-invalid', `a ${type} record cannot be written as JSON: ${asError(err).message}`, { cause: err }));
    }
    const pending: PendingRecord = Object.assign(record, { prev: this.head.prev });
    this.head = { nextSeq: record.seq + 1, prev: record.hash };
    return this.group.submit(pending);
  }

  /** One batch: a write and a sync per file it touches (one, unless it crosses a rotation). */
  private async commit(records: PendingRecord[]): Promise<BatchOutcome> {
    let durable = 0;
    let chunks: Buffer[] = [];
    let bytes = 0;
    let count = 0;
    const flush = async () => {
      if (count === 0) return;
      await this.file.appendDurably(chunks, bytes);
      this.tellObserver(records.slice(durable, durable + count));
      durable += count;
      this.stats.records += count;
      this.stats.bytes += bytes;
      chunks = [];
      bytes = 0;
      count = 0;
    };
    try {
      // Checked again at the moment of writing: the records may have waited for the previous batch.
      if (!this.owns()) throw notOwner();
      // One stat: the path still names the inode locked. Another process may lock a new one otherwise.
      if (!this.confirmLock()) throw this.lockLost!;
      for (const r of records) {
        const day = r.ts.slice(0, 10);
        if (this.file.needsNewFile(day, bytes, r.byteLength)) {
          await flush();
          await this.file.rotate(day);
        }
        for (const c of r.chunks) chunks.push(c);
        bytes += r.byteLength;
        count++;
      }
      await flush();
      this.lastBatchOk = true;
      return { durable };
    } catch (err) {
      this.lastBatchOk = false;
      this.stats.failedBatches++;
      return { durable, error: asError(err) };
    }
  }

  private tellObserver(written: PendingRecord[]): void {
    const observer = this.options.observer;
    const last = written[written.length - 1];
    if (!observer || !last) return;
    try {
      observer.durable({ file: this.file.fileName ?? '', end: this.file.durableSize, lines: written.map((r) => r.chunks), last: { seq: last.seq, hash: last.hash } });
    } catch {
      // The records are durable; what the observer failed to make of them is its own to report.
    }
  }

  /** The chain continues from the last durable record: the lost record's seq and predecessor. */
  private rewind(lost: PendingRecord, error: Error): Error {
    this.head = { nextSeq: lost.seq, prev: lost.prev };
    return new AuditError('audit-batch-aborted', `the record was queued behind a batch that failed (${error.message}); it was not written`, { cause: error });
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.state = 'closing';
      this.closing = (async () => {
        let failure: unknown;
        try {
          await this.group.drain();
          await this.append('stop', () => [], true);
        } catch (err) {
          failure = err;
        }
        await this.group.drain();
        clearInterval(this.lockWatch);
        await this.file.close().catch((err: unknown) => { failure ??= err; });
        // Only once nothing more can reach the file: the next writer may take the chain from here.
        this.lock.release();
        this.state = 'closed';
        if (failure !== undefined) throw asError(failure);
      })();
    }
    return this.closing;
  }
}

/** Creates the folder 0700, or tightens an existing one to 0700: other local users must not read egress. */
async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const st = await stat(dir);
    if (!st.isDirectory()) throw new AuditError('audit-dir', `${dir} exists and is not a folder`);
    if ((st.mode & 0o777) !== DIR_MODE) await chmod(dir, DIR_MODE);
  } catch (err) {
    if (err instanceof AuditError) throw err;
    throw new AuditError('audit-dir', `cannot prepare audit folder ${dir} (mode 0700): ${systemCode(err)}`, { cause: err });
  }
}

function checkOptions(options: AuditWriterOptions): void {
  if (!Number.isSafeInteger(options.maxFileBytes) || options.maxFileBytes <= 0) {
    throw new AuditError('audit-options', `audit.max_file_bytes must be a positive integer, got ${String(options.maxFileBytes)}`);
  }
  if (options.replica !== undefined && !isValidReplicaId(options.replica)) {
    throw new AuditError('audit-options', `audit.replica ${JSON.stringify(options.replica)} is not usable in file names: use 1-64 letters, digits, '-' or '_', starting with a letter or digit, and not "default" (the chain without a replica id)`);
  }
}

/**
 * Opens the replica's chain in `options.dir`: takes the chain's lock (another live writer: AuditError
 * `audit-locked`, naming it), recovers a torn last line (writing a `recovery` record), continues from the
 * newest file, and writes a durable `start` record before returning.
 */
export async function openAuditWriter(options: AuditWriterOptions, seams: WriterSeams = {}): Promise<FileAuditWriter> {
  checkOptions(options);
  await prepareDir(options.dir);
  const replica = options.replica ?? null;
  const now = options.now ?? (() => new Date());
  // Before the chain's end is even read: recovery truncates a torn line, which must never happen under a
  // writer that is still appending.
  const lock = await lockChain(options.dir, replica, {
    now, ...(options.supervisor === undefined ? {} : { supervisor: options.supervisor }),
    ...(options.orphanWaitMs === undefined ? {} : { orphanWaitMs: options.orphanWaitMs }),
  });
  seams.lockTaken?.(lock);
  try {
    const files = await listChainFiles(options.dir, replica);
    const end = await recoverChainEnd(files);
    // Under the lock too: the checkpointer reads the chain as recovery left it.
    await options.observer?.open(files);
    const writer = new ChainWriter(options, end.head, seams.fileOps ?? nodeFileOps, now, lock);
    if (end.newest) await writer.activeFile.adopt(end.newest.file, end.newest.size);
    return await startChain(writer, end.torn, replica);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startChain(writer: ChainWriter, torn: TornTail | undefined, replica: string | null): Promise<ChainWriter> {
  try {
    await Promise.all([
      ...(torn ? [writer.append('recovery', () => recoveryMembers(torn))] : []),
      writer.append('start', () => startMembers(replica)),
    ]);
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw err;
  }
  return writer;
}
