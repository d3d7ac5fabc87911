/**
 * Signed checkpoints of one chain (SPEC §6.1), kept by the process that writes the chain.
 *
 * As a ChainObserver of the audit writer it keeps the chain's Merkle tree: on `open` it resumes the tree
 * saved with the latest checkpoint (or re-reads the chain), and on every durable batch it adds one leaf
 * per line: one SHA-256 of bytes the writer already holds, and amortised one node hash. Only durable
 * lines become leaves, so a batch that failed, or a torn line cut at recovery, never enters the tree, and
 * leaf i stays record line i of the chain.
 *
 * `checkpoint()` (every interval while records are added, and at close) signs `<origin>/<chain>`, the
 * size and the root, saves the tree, then replaces `<audit.dir>/checkpoints/<chain>` with the note, and
 * hands the note to the witness. None of it is on a request's path: requests wait for their record's
 * sync only, and the witness is posted to in the background, one post at a time, newest note first.
 *
 * A log must never sign a checkpoint inconsistent with one it signed before (c2sp.org/tlog-checkpoint).
 * So `open` refuses a chain whose first `size` lines no longer give the latest checkpoint's root, or that
 * holds fewer lines (AuditError `audit-checkpoint-mismatch`), as recovery refuses a changed last record.
 */
import { open as openFile } from 'node:fs/promises';
import { AuditError } from '../errors';
import type { ChainFile } from '../file-naming';
import { lineHashParts } from '../chain';
import { sniffSeq } from '../record-line';
import type { ChainObserver, DurableLines } from '../types';
import { chainLines } from './chain-leaves';
import { formatCheckpointText, parseCheckpointText } from './checkpoint';
import { MAX_NOTE_BYTES, notePath, prepareCheckpointsDir, readSmallFile, replaceFile, treeStatePath, witnessPath } from './checkpoint-files';
import { CompactRange, leafHash, leafHashOfChunks } from './merkle';
import { parseNote, signNote } from './signed-note';
import type { CheckpointSigner } from './signing-key';
import { formatTreeState, parseTreeState, rangeOf, type TreeEnd, type TreeState } from './tree-state';

export interface WitnessOutcome {
  accepted: boolean;
  /** The witness's HTTP status, when it answered. */
  status?: number;
  /** Why nothing usable came back (network error, timeout). */
  error?: string;
}

export interface CheckpointEvents {
  written?(checkpoint: { chain: string; size: number; root: Buffer }): void;
  failed?(error: Error): void;
  witness?(outcome: WitnessOutcome & { chain: string; size: number }): void;
  warn?(message: string): void;
}

export interface CheckpointerOptions {
  auditDir: string;
  /** The chain name: the replica id, or `default`. */
  chain: string;
  /** audit.checkpoint.origin: the origin line is `<origin>/<chain>`; the key is named `<origin>`. */
  origin: string;
  signer: CheckpointSigner;
  intervalMs: number;
  /** Posts a note to the witness; absent without audit.checkpoint.witness_url. */
  publish?: (note: string) => Promise<WitnessOutcome>;
  events?: CheckpointEvents;
  now?: () => Date;
  /** As the writer's: false once this process may no longer own the chain (an orphaned worker writes no checkpoint either). */
  owner?: () => boolean;
}

export interface WrittenCheckpoint {
  size: number;
  root: Buffer;
  note: string;
  /** When this process wrote it (absent for the note found at start). */
  at?: string;
}

/** How long close() lets the witness answer the final note before giving up on it. */
const WITNESS_CLOSE_WAIT_MS = 3_000;

interface LatestNote { size: number; root: Buffer; note: string }

export class Checkpointer implements ChainObserver {
  private tree = new CompactRange();
  private end: TreeEnd | undefined;
  private written: WrittenCheckpoint | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private publishing: Promise<void> | undefined;
  private nextPublish: WrittenCheckpoint | undefined;
  private readonly origin: string;
  private opening = { resumed: false, linesRead: 0 };

  constructor(private readonly options: CheckpointerOptions) {
    this.origin = `${options.origin}/${options.chain}`;
  }

  /** Leaves in the tree: the chain's durable records. */
  get size(): number {
    return this.tree.size;
  }

  get latest(): WrittenCheckpoint | undefined {
    return this.written;
  }

  /** How `open` found the tree: resumed from the state saved with the latest checkpoint, and how many lines it read. */
  get opened(): Readonly<{ resumed: boolean; linesRead: number }> {
    return this.opening;
  }

  private get paths() {
    const { auditDir, chain } = this.options;
    return { note: notePath(auditDir, chain), tree: treeStatePath(auditDir, chain), witness: witnessPath(auditDir, chain) };
  }

  // --- ChainObserver ---------------------------------------------------------------------------------------

  async open(files: readonly ChainFile[]): Promise<void> {
    await prepareCheckpointsDir(this.options.auditDir);
    const latest = await this.readLatest();
    const text = await readSmallFile(this.paths.tree, MAX_NOTE_BYTES).catch(() => undefined);
    const state = text === undefined ? undefined : parseTreeState(text.toString('utf8'), this.options.chain);
    const resumed = state !== undefined && (latest === undefined || latest.size === state.size) && await this.resume(files, state, latest);
    if (!resumed) await this.rebuild(files, latest);
    this.opening.resumed = resumed;
    if (latest) this.written = latest;
  }

  durable(batch: DurableLines): void {
    for (const chunks of batch.lines) this.tree.append(leafHashOfChunks(chunks, 1));
    this.end = { file: batch.file, offset: batch.end, seq: batch.last.seq, hash: batch.last.hash };
  }

  // --- opening ---------------------------------------------------------------------------------------------

  /** The checkpoint note this chain has, when it reads as one of this chain's. */
  private async readLatest(): Promise<LatestNote | undefined> {
    const file = this.paths.note;
    const bytes = await readSmallFile(file, MAX_NOTE_BYTES);
    if (bytes === undefined) return undefined;
    const note = parseNote(bytes);
    const cp = note.ok ? parseCheckpointText(note.value.text) : undefined;
    if (!cp?.ok || !cp.value.origin.endsWith(`/${this.options.chain}`)) {
      this.options.events?.warn?.(`${file} is not a checkpoint of chain ${this.options.chain} (${note.ok ? cp?.ok ? `origin ${cp.value.origin}` : cp?.message : note.message}); it is ignored and replaced by the next checkpoint`);
      return undefined;
    }
    return { size: cp.value.size, root: cp.value.root, note: bytes.toString('utf8') };
  }

  /** Continues the saved tree when its last line is still where it was, and its root is the latest note's. */
  private async resume(files: readonly ChainFile[], state: TreeState, latest: LatestNote | undefined): Promise<boolean> {
    const tree = rangeOf(state);
    if (latest && !tree.root().equals(latest.root)) return false;
    if (state.end && !await lineEndsAt(files, state.end)) return false;
    this.tree = tree;
    if (state.end) this.end = state.end;
    await this.readTail(files, state.end);
    return true;
  }

  /** Re-reads the whole chain; it must still give the latest checkpoint's root at that checkpoint's size. */
  private async rebuild(files: readonly ChainFile[], latest: LatestNote | undefined): Promise<void> {
    this.tree = new CompactRange();
    this.end = undefined;
    this.opening.linesRead = 0;
    let rootThen: Buffer | undefined = latest?.size === 0 ? this.tree.root() : undefined;
    await this.readTail(files, undefined, () => {
      if (latest && this.tree.size === latest.size) rootThen = this.tree.root();
    });
    if (!latest) return;
    const where = `chain ${this.options.chain} no longer holds what its latest checkpoint (${this.paths.note}, size ${latest.size}) vouched for`;
    const advice = `refusing to append to it. Run \`telegate audit verify ${this.options.auditDir} --checkpoint <a copy kept elsewhere> --key <verifier key>\`, and move the checkpoint file aside only after it has been examined`;
    if (rootThen === undefined) {
      throw new AuditError('audit-checkpoint-mismatch', `${where}: it holds ${this.tree.size} record(s) now: records were cut from its end or files removed; ${advice}`);
    }
    if (!rootThen.equals(latest.root)) {
      throw new AuditError('audit-checkpoint-mismatch', `${where}: its first ${latest.size} records give another root: they were edited or rewritten; ${advice}`);
    }
  }

  /** Adds the chain's lines after `from` (all of them without) to the tree. */
  private async readTail(files: readonly ChainFile[], from: TreeEnd | undefined, each?: () => void): Promise<void> {
    let last: { line: Buffer; file: string; end: number } | undefined;
    for await (const line of chainLines(files, from ? { file: from.file, offset: from.offset } : undefined)) {
      this.tree.append(leafHash(line.bytes));
      this.opening.linesRead++;
      each?.();
      last = { line: line.bytes, file: line.file.name, end: line.offset + line.bytes.length + 1 };
    }
    if (!last) return;
    const parts = lineHashParts(last.line);
    const seq = sniffSeq(last.line);
    // Recovery has checked the chain's last record before the writer opened it; a chain it accepted ends in one.
    if (parts && seq !== undefined) this.end = { file: last.file, offset: last.end, seq, hash: parts.claimed };
    else this.end = undefined;
  }

  // --- checkpoints -----------------------------------------------------------------------------------------

  /** Starts writing a checkpoint every interval in which records were added. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => { void this.checkpoint(); }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Signs and writes a checkpoint of the tree as it is now, unless the latest one already has this size. */
  checkpoint(): Promise<void> {
    this.queue = this.queue.then(() => this.write(), () => this.write());
    return this.queue;
  }

  private async write(): Promise<void> {
    const size = this.tree.size;
    if (this.written?.size === size) return;
    if (this.options.owner?.() === false) return;
    const root = this.tree.root();
    const note = signNote(formatCheckpointText({ origin: this.origin, size, root }), [this.options.signer]);
    const state = formatTreeState({ chain: this.options.chain, size, edge: this.tree.edgeHashes(), ...(this.end ? { end: this.end } : {}) });
    try {
      // The tree first: after a crash between the two, the next start finds a tree ahead of the note and re-reads the chain.
      await replaceFile(this.paths.tree, state);
      await replaceFile(this.paths.note, note);
    } catch (error) {
      this.options.events?.failed?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const at = (this.options.now?.() ?? new Date()).toISOString();
    this.written = { size, root, note, at };
    this.options.events?.written?.({ chain: this.options.chain, size, root });
    this.publish(this.written);
  }

  private publish(cp: WrittenCheckpoint): void {
    const post = this.options.publish;
    if (!post) return;
    this.nextPublish = cp;
    this.publishing ??= (async () => {
      for (let next = this.nextPublish; next; next = this.nextPublish) {
        this.nextPublish = undefined;
        const outcome = await post(next.note).catch((error: unknown): WitnessOutcome => ({ accepted: false, error: error instanceof Error ? error.message : String(error) }));
        const record = { size: next.size, root: next.root.toString('base64'), at: (this.options.now?.() ?? new Date()).toISOString(), ...outcome };
        await replaceFile(this.paths.witness, `${JSON.stringify(record)}\n`).catch(() => undefined);
        this.options.events?.witness?.({ chain: this.options.chain, size: next.size, ...outcome });
      }
      this.publishing = undefined;
    })();
  }

  /** Stops the timer and writes the final checkpoint (call after the writer closed: its `stop` record is in). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.closed = true;
    await this.checkpoint();
    const posting = this.publishing;
    if (posting) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([posting, new Promise<void>((resolve) => { timer = setTimeout(resolve, WITNESS_CLOSE_WAIT_MS); })]);
      clearTimeout(timer);
    }
  }
}

/** Whether the chain's file `end.file` holds, just before `end.offset`, the end of the record with hash `end.hash`. */
async function lineEndsAt(files: readonly ChainFile[], end: TreeEnd): Promise<boolean> {
  const file = files.find((f) => f.name === end.file);
  if (!file) return false;
  const expected = Buffer.from(`,"hash":"${end.hash}"}\n`, 'latin1');
  if (end.offset < expected.length) return false;
  const handle = await openFile(file.path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < end.offset) return false;
    const tail = Buffer.alloc(expected.length);
    const { bytesRead } = await handle.read(tail, 0, tail.length, end.offset - tail.length);
    return bytesRead === tail.length && tail.equals(expected);
  } finally {
    await handle.close();
  }
}
