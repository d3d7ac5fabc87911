/**
 * Record lines and their hash (docs/audit-log.md): `{"v":1,"seq":…,"ts":…,"type":…,"prev":…, … ,"hash":…}`.
 *
 * hash = SHA-256 of `prev + "\n" + C`, C being the line without its final `,"hash":"<hex>"` member. The
 * writer builds C in pieces (text before the body, the body bytes as sent, text after) and hashes them
 * one by one, so a 50 MB body is never copied into a second string or buffer.
 */
import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';

export const RECORD_VERSION = 1;
export const GENESIS_PREV = '0'.repeat(64);

/** `,"hash":"` + 64 hex digits + `"}`: the fixed-width end of every line (before its newline). */
export const HASH_TAIL_BYTES = 75;
const HASH_TAIL = /^,"hash":"([0-9a-f]{64})"\}$/;

export type RecordType = 'egress' | 'outcome' | 'policy' | 'recovery' | 'start' | 'stop';

/** The position of the chain after its last durable (or assigned) record. */
export interface ChainHead {
  /** seq of the next record. */
  nextSeq: number;
  /** hash of the last record, GENESIS_PREV for an empty chain. */
  prev: string;
}

/**
 * One member of a record after the fixed head. `raw` members are embedded byte for byte; they must be a
 * single JSON value without a newline (checked by the caller that owns their meaning).
 */
export type RecordMember = { key: string; value: unknown } | { key: string; raw: Buffer };

export interface EncodedRecord {
  seq: number;
  ts: string;
  type: RecordType;
  hash: string;
  /** The line with its newline, in pieces for writev. */
  chunks: Buffer[];
  byteLength: number;
}

/** Starts a record hash: `prev + "\n"`, then C in as many pieces as it comes. */
export function startRecordHash(prev: string): Hash {
  return createHash('sha256').update(prev).update('\n');
}

export function encodeRecord(head: ChainHead, ts: string, type: RecordType, members: RecordMember[]): EncodedRecord {
  const seq = head.nextSeq;
  // Started at the first raw member: a record without one (outcome, policy, …) is a single string,
  // hashed in one call below.
  let hash: Hash | undefined;
  const chunks: Buffer[] = [];
  let text = `{"v":${RECORD_VERSION},"seq":${seq},"ts":${JSON.stringify(ts)},"type":${JSON.stringify(type)},"prev":${JSON.stringify(head.prev)}`;
  for (const member of members) {
    const key = JSON.stringify(member.key);
    if ('raw' in member) {
      text += `,${key}:`;
      const before = Buffer.from(text, 'utf8');
      hash ??= startRecordHash(head.prev);
      hash.update(before).update(member.raw);
      chunks.push(before, member.raw);
      text = '';
    } else if (member.value !== undefined) {
      text += `,${key}:${JSON.stringify(member.value)}`;
    }
  }
  const digest = hash === undefined ? oneShotHash('sha256', `${head.prev}\n${text}}`, 'hex') : hash.update(`${text}}`).digest('hex');
  chunks.push(Buffer.from(`${text},"hash":"${digest}"}\n`, 'utf8'));
  const byteLength = chunks.reduce((n, c) => n + c.length, 0);
  return { seq, ts, type, hash: digest, chunks, byteLength };
}

/**
 * The hash a line (without its newline) should carry, given the `prev` it names, or null when the line
 * does not end in a well-formed hash member. Works on bytes: no JSON parser decides what was hashed.
 */
export function lineHashParts(line: Buffer): { claimed: string; c: Buffer } | null {
  if (line.length < HASH_TAIL_BYTES + 2) return null;
  const tail = line.toString('latin1', line.length - HASH_TAIL_BYTES);
  const m = HASH_TAIL.exec(tail);
  if (!m) return null;
  return { claimed: m[1]!, c: line.subarray(0, line.length - HASH_TAIL_BYTES) };
}

/** sha256(prev + "\n" + C) where C = `cWithoutBrace` + "}". */
export function computeLineHash(prev: string, cWithoutBrace: Buffer): string {
  return startRecordHash(prev).update(cWithoutBrace).update('}').digest('hex');
}
