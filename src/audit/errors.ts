/**
 * Errors of the audit log, as values: a stable code a caller can switch on and a message a security
 * engineer can act on. Never carries payload content, only positions, names and digests.
 */
export type AuditErrorCode =
  /** The writer's options are unusable (replica id, size limit). */
  | 'audit-options'
  /** The audit folder cannot be created, is not a folder, or its mode cannot be tightened to 0700. */
  | 'audit-dir'
  /** The newest file ends in a way recovery must not repair by itself (more than one bad line). */
  | 'audit-corrupt-tail'
  /** A write, fdatasync or file creation failed; the record is not durable and nothing may be forwarded. */
  | 'audit-write-failed'
  /** The record was queued behind a batch that failed; it was chained to records that never reached disk. */
  | 'audit-batch-aborted'
  /** The body cannot be embedded as one JSON Lines member. */
  | 'audit-body-invalid'
  /** A field cannot be written as JSON (e.g. a bigint count). */
  | 'audit-record-invalid'
  /** append after close(). */
  | 'audit-closed'
  /** This process no longer owns the chain (its supervisor is gone); the record was not written. */
  | 'audit-not-owner'
  /** Another process holds the chain's lock (one writer per chain, SPEC §6); the message names it. */
  | 'audit-locked'
  /** The chain's lock cannot be taken at all (the file system refuses locks, permissions). */
  | 'audit-lock'
  /** The lock file was removed or replaced while held: another process may lock the chain; nothing more is written. */
  | 'audit-lock-lost'
  /** The chain no longer holds what its latest signed checkpoint vouched for: cut or rewritten since. */
  | 'audit-checkpoint-mismatch';

export class AuditError extends Error {
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

/** The system error code (ENOSPC, EIO, …) of a failed fs call, for messages; never the payload. */
export function systemCode(err: unknown): string {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}
