/**
 * The audit log's public contract (see docs/audit-log.md). The gateway appends records and awaits
 * durability; the CLI reads and verifies. Nothing here knows about HTTP or policies.
 */
import type { DetectorCounts, PathCounts, UnlistedCounts } from '../policy/types';
import type { ChainFile } from './file-naming';

export type Decision = 'forwarded' | 'blocked' | 'rejected';

/** Fields of an egress record that the gateway supplies (the writer adds v, seq, ts, type, prev, hash). */
export interface EgressFields {
  id: string;
  vendor: string;
  endpoint: string;
  level: 0 | 1 | 2;
  policy: string;
  decision: Decision;
  reason?: string;
  upstream?: string;
  client: string;
  client_version?: string;
  /** The request headers forwarded upstream, lower-case name -> value exactly as sent ({} when nothing was). */
  headers?: Record<string, string>;
  /** Headers the policy lets pass that were not forwarded: name -> `invalid` or the detector kind. */
  headers_refused?: Record<string, string>;
  /**
   * The exact bytes sent upstream (UTF-8 JSON text). The writer embeds them verbatim as `body` and
   * computes `body_sha256` and `bytes` from them. Absent when nothing was sent.
   */
  bodyText?: string;
  /**
   * The same bytes, when the caller already holds them encoded (the gateway does: it sends them). Wins
   * over `bodyText`; embedded as they are, so a 50 MB body is not encoded a second time for the log.
   */
  bodyBytes?: Buffer;
  /**
   * The sha256 (hex) of `bodyBytes`, when the caller computed it already (a judge thread does, off the
   * event loop); otherwise the writer computes it.
   */
  bodySha256?: string;
  dropped: PathCounts;
  hashed: PathCounts;
  unknown: PathCounts;
  // The members below came with issue 12: optional here so that a writer of older records still types,
  // always written by the gateway.
  invalid?: PathCounts;
  redacted?: PathCounts;
  /** Redacted values by detector kind. */
  detections?: DetectorCounts;
  /** Report paths past the bound a record lists (absent when none). */
  unlisted?: UnlistedCounts;
  /** With a shadow level configured: what that level would have done differently (written last). */
  shadow?: ShadowFields;
}

/**
 * The `shadow` member of an egress record: the shadow level, and the report paths whose values it would
 * have sent in clear, sent hashed, or not sent (dropped), where the enforced level did otherwise; counts only.
 */
export interface ShadowFields { level: 1 | 2; sent: PathCounts; hashed: PathCounts; dropped: PathCounts }

export interface OutcomeFields { id: string; status?: number; ms: number; error?: string }

export interface PolicyLoadFields { policies: { vendor: string; file: string; digest: string }[]; reload: boolean }

/** A record as read back from disk. */
export interface AuditRecord {
  v: 1;
  seq: number;
  ts: string;
  type: 'egress' | 'outcome' | 'policy' | 'recovery' | 'start' | 'stop';
  prev: string;
  hash: string;
  [field: string]: unknown;
}

export interface AuditWriterOptions {
  dir: string;
  /** Replica id for file names and a chain of its own; undefined = single instance. */
  replica?: string;
  /** Rotate when a file would pass this size. */
  maxFileBytes: number;
  /** false only for benchmarks measuring the cost of durability. */
  fsync: boolean;
  /** Injected for tests: the clock. */
  now?: () => Date;
  /**
   * Asked before each record is chained and before each batch is written: false once this process may
   * no longer own the chain (a worker whose supervisor is gone, src/cluster), so that nothing more is
   * appended while a new process may already be recovering the chain. Undefined: always the owner.
   */
  owner?: () => boolean;
  /**
   * A worker's supervising process: recorded beside the chain's lock (chain-lock.ts), so that a writer
   * finding the lock held can tell an orphaned worker, about to end, from a live gateway.
   */
  supervisor?: number;
  /** How long to wait for the chain's lock while its holder is an orphaned worker; 0 (default): not at all. */
  orphanWaitMs?: number;
  /** Told of the chain as recovery left it, then of every line once it is durable (src/audit/tlog). */
  observer?: ChainObserver;
  /**
   * Told once, with the reason, when the chain's lock file was removed or replaced while this writer held
   * it (chain-lock.ts): from then on the writer writes nothing and every append is refused.
   */
  onLockLost?: (message: string) => void;
}

/** Lines that just became durable, in chain order, all in one file. */
export interface DurableLines {
  /** The file's name and its durable length after these lines. */
  file: string;
  end: number;
  /** Each line in the pieces it was written in; the last piece ends in the line's newline. */
  lines: readonly (readonly Buffer[])[];
  /** seq and hash of the last of these records. */
  last: { seq: number; hash: string };
}

/**
 * Follows a chain as the writer makes it: `open` once recovery has cut any torn line and before anything
 * is appended (an error stops the writer from opening), `durable` after each successful write and sync.
 * `durable` must not throw: the lines are on disk whatever the observer makes of them.
 */
export interface ChainObserver {
  open(files: readonly ChainFile[]): Promise<void>;
  durable(lines: DurableLines): void;
}

export interface AuditWriter {
  /** Resolves once the record is durable on disk; rejects if it could not be written (caller answers 503). */
  appendEgress(fields: EgressFields): Promise<void>;
  appendOutcome(fields: OutcomeFields): Promise<void>;
  appendPolicy(fields: PolicyLoadFields): Promise<void>;
  /** true while the last write succeeded (for /readyz). */
  readonly healthy: boolean;
  /** Flushes pending records, writes a `stop` record, closes the file. */
  close(): Promise<void>;
}

/** Result of `telegate audit verify`. */
export interface VerifyReport {
  ok: boolean;
  chains: {
    replica: string | null;
    files: string[];
    /** Records verified (up to the first bad one). */
    records: number;
    /** Hash of the last good record: keep it elsewhere to detect later removal of the chain's end. */
    lastHash: string;
    /** The last good record is a `stop`: the writer closed cleanly (false while it runs, or after a crash). */
    stopped: boolean;
    /** This chain's first bad record. */
    error?: VerifyError;
  }[];
  /** The first bad record, when !ok. */
  firstError?: VerifyError;
}

/** A bad record: `file:line: seq N: message`. `seq` is absent when the line does not say it. */
export interface VerifyError { file: string; line: number; seq?: number; message: string }

/** Counters of a file writer, for tests and metrics. */
export interface AuditWriterStats {
  /** Records made durable. */
  records: number;
  /** write calls (one per batch and file). */
  writes: number;
  /** fdatasync calls on audit files. */
  syncs: number;
  /** Batches that failed (their records were rejected). */
  failedBatches: number;
  /** Bytes made durable. */
  bytes: number;
}
