/**
 * Checks one record line on its own: format, field types, its own hash, and that `body_sha256` and
 * `bytes` describe the embedded body bytes. Linkage to the neighbours (seq, prev) is the chain's job
 * (verify.ts); recovery uses this alone to decide whether a file's last line is whole.
 */
import { createHash } from 'node:crypto';
import { computeLineHash, lineHashParts, RECORD_VERSION, type RecordType } from './chain';
import { parseRecordLine, sniffSeq } from './record-line';
import type { AuditRecord } from './types';

const HEAD_KEYS = ['v', 'seq', 'ts', 'type', 'prev'] as const;
const TYPES: readonly RecordType[] = ['egress', 'outcome', 'policy', 'recovery', 'start', 'stop'];
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface CheckedRecord {
  record: AuditRecord;
  /** Byte range of the embedded body in the line, for egress records that sent one. */
  body?: { start: number; end: number };
}

export type RecordCheck =
  | { ok: true; value: CheckedRecord }
  /** `syntax`: not a readable record at all (not JSON, no hash member), as a torn write leaves it. */
  | { ok: false; seq?: number; message: string; syntax: boolean };

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPathCounts = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isCount);
const isStringMap = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isString);
/** Members added after the first records were written: absent in those, typed when present. */
const optional = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);
const isUnlisted = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && isCount((v as Record<string, unknown>)['paths'])
  && isPathCounts((v as Record<string, unknown>)['values']);

const SHADOW_KEYS = ['level', 'sent', 'hashed', 'dropped'];
function isShadow(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const s = v as Record<string, unknown>;
  return Object.keys(s).every((k) => SHADOW_KEYS.includes(k)) && (s['level'] === 1 || s['level'] === 2)
    && isPathCounts(s['sent']) && isPathCounts(s['hashed']) && isPathCounts(s['dropped']);
}

/** The first field that does not have the type the format promises, or null. */
function fieldProblem(r: AuditRecord): string | null {
  const need = (ok: boolean, key: string, what: string) => (ok ? null : `"${key}" must be ${what}`);
  switch (r.type) {
    case 'egress':
      return need(isString(r['id']), 'id', 'a string')
        ?? need(isString(r['vendor']), 'vendor', 'a string')
        ?? need(isString(r['endpoint']), 'endpoint', 'a string')
        ?? need(r['level'] === 0 || r['level'] === 1 || r['level'] === 2, 'level', '0, 1 or 2')
        ?? need(isString(r['policy']), 'policy', 'a string')
        ?? need(r['decision'] === 'forwarded' || r['decision'] === 'blocked' || r['decision'] === 'rejected', 'decision', 'forwarded, blocked or rejected')
        ?? need(isString(r['client']), 'client', 'a string')
        ?? need(isCount(r['bytes']), 'bytes', 'a byte count')
        ?? need(isPathCounts(r['dropped']), 'dropped', 'an object of counts')
        ?? need(isPathCounts(r['hashed']), 'hashed', 'an object of counts')
        ?? need(isPathCounts(r['unknown']), 'unknown', 'an object of counts')
        ?? need(optional(r['client_version'], isString), 'client_version', 'a string')
        ?? need(optional(r['headers'], isStringMap), 'headers', 'an object of header values')
        ?? need(optional(r['headers_refused'], isStringMap), 'headers_refused', 'an object of reasons')
        ?? need(optional(r['invalid'], isPathCounts), 'invalid', 'an object of counts')
        ?? need(optional(r['redacted'], isPathCounts), 'redacted', 'an object of counts')
        ?? need(optional(r['detections'], isPathCounts), 'detections', 'an object of counts')
        ?? need(optional(r['unlisted'], isUnlisted), 'unlisted', 'an object with paths and values')
        ?? need(optional(r['shadow'], isShadow), 'shadow', 'an object with a level (1 or 2) and sent, hashed and dropped counts');
    case 'outcome':
      return need(isString(r['id']), 'id', 'a string')
        ?? need(typeof r['ms'] === 'number', 'ms', 'a number')
        ?? need(Number.isInteger(r['status']) || isString(r['error']), 'status', 'an HTTP status (or "error" a string)');
    case 'policy':
      return need(Array.isArray(r['policies']), 'policies', 'a list') ?? need(typeof r['reload'] === 'boolean', 'reload', 'true or false');
    case 'recovery':
      return need(isString(r['file']), 'file', 'a string')
        ?? need(isCount(r['truncated_bytes']), 'truncated_bytes', 'a byte count')
        ?? need(isString(r['torn_sha256']) && HEX64.test(r['torn_sha256']), 'torn_sha256', '64 hex digits');
    default:
      return null;
  }
}

/** `body_sha256` and `bytes` against the body bytes embedded in the line. */
function bodyProblem(line: Buffer, record: AuditRecord, body: { start: number; end: number } | undefined): string | null {
  if (record.type !== 'egress') return body ? 'only egress records carry a body' : null;
  if (!body) {
    if (record['body_sha256'] !== undefined) return '"body_sha256" without a body';
    return record['bytes'] === 0 ? null : `"bytes" is ${String(record['bytes'])} but the record has no body`;
  }
  const bytes = line.subarray(body.start, body.end);
  if (record['bytes'] !== bytes.length) return `"bytes" is ${String(record['bytes'])} but the embedded body has ${bytes.length} bytes`;
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (record['body_sha256'] !== digest) return `"body_sha256" does not match the embedded body (its bytes hash to ${digest})`;
  return null;
}

/** Checks a line (without its newline) that should hold one record. */
export function checkRecordLine(line: Buffer): RecordCheck {
  const parts = lineHashParts(line);
  const sniffed = sniffSeq(line);
  const fail = (message: string, seq = sniffed, syntax = false): RecordCheck =>
    (seq === undefined ? { ok: false, message, syntax } : { ok: false, seq, message, syntax });
  const parsed = parseRecordLine(line, { validateBody: true });
  if (!parsed.ok) return fail(`${parsed.error.message} (byte ${parsed.error.offset + 1})`, sniffed, true);
  const { record, keys } = parsed;
  const seq = isCount(record.seq) ? record.seq : sniffed;
  if (!parts || keys[keys.length - 1] !== 'hash') return fail('the last member must be "hash" with 64 lowercase hex digits', seq, true);
  for (let i = 0; i < HEAD_KEYS.length; i++) {
    if (keys[i] !== HEAD_KEYS[i]) return fail(`member ${i + 1} must be "${HEAD_KEYS[i]}", found ${keys[i] === undefined ? 'nothing' : `"${keys[i]}"`}`, seq);
  }
  if (record.v !== RECORD_VERSION) return fail(`unknown format version ${JSON.stringify(record.v)}`, seq);
  if (!isCount(record.seq)) return fail('"seq" must be a non-negative integer', seq);
  if (!isString(record.ts) || !ISO_UTC_MS.test(record.ts) || Number.isNaN(Date.parse(record.ts))) return fail('"ts" must be an ISO 8601 UTC time with milliseconds', seq);
  if (!TYPES.includes(record.type)) return fail(`unknown record type ${JSON.stringify(record.type)}`, seq);
  if (!isString(record.prev) || !HEX64.test(record.prev)) return fail('"prev" must be 64 lowercase hex digits', seq);
  const expected = computeLineHash(record.prev, parts.c);
  if (expected !== parts.claimed) return fail(`hash mismatch: the record was altered after it was written (its content hashes to ${expected})`, seq);
  const problem = fieldProblem(record) ?? bodyProblem(line, record, parsed.body);
  if (problem) return fail(problem, seq);
  return { ok: true, value: parsed.body ? { record, body: parsed.body } : { record } };
}
