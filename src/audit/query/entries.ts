/**
 * Typed views of the records the queries read: an egress record without its body (the body stays a byte
 * range in the line until `show` asks for it) and an outcome. A line that does not have the documented
 * shape gives no entry; the queries skip it and count it, and `telegate audit verify` names it.
 */
import type { PathCounts } from '../../policy/types';
import type { AuditRecord, Decision, EgressFields, ShadowFields } from '../types';

/** Field path (array indices written `[*]`) -> count, as the records write them. */
export type FieldCounts = PathCounts;

/** Where a record is: for messages and for `show`. */
export interface RecordLocation { file: string; line: number; seq: number }

/** The members the gateway supplied, as written (see EgressFields). */
type SuppliedEgress = Pick<EgressFields,
  'id' | 'vendor' | 'endpoint' | 'policy' | 'decision' | 'reason' | 'upstream' | 'client' | 'client_version' | 'dropped' | 'hashed' | 'unknown'>
  & {
    /** Records written before issue 12 have none of these; toEgressEntry reads them as {}. */
    invalid?: FieldCounts; redacted?: FieldCounts; detections?: FieldCounts;
    headers?: Record<string, string>; headers_refused?: Record<string, string>;
  };

/**
 * An egress record as read back: what the gateway supplied, with the body as the writer records it (its
 * hash and size) and the writer's `ts`. `level` is whatever number the line holds, not only 0, 1 or 2.
 */
export interface EgressEntry extends RecordLocation, SuppliedEgress {
  ts: string;
  level: number;
  body_sha256?: string;
  bytes: number;
  shadow?: ShadowFields;
}

export interface OutcomeEntry {
  ts: string;
  id: string;
  status?: number;
  ms?: number;
  error?: string;
}

const DECISIONS: readonly string[] = ['forwarded', 'blocked', 'rejected'];

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function counts(v: unknown): FieldCounts | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: FieldCounts = {};
  for (const [k, n] of Object.entries(v)) {
    if (!isCount(n)) return undefined;
    out[k] = n;
  }
  return out;
}

/** undefined: no shadow member; null: one that does not have the documented shape. */
function shadowOf(v: unknown): ShadowFields | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const s = v as Record<string, unknown>;
  const level = s['level'];
  const sent = counts(s['sent']);
  const hashed = counts(s['hashed']);
  const dropped = counts(s['dropped']);
  if ((level !== 1 && level !== 2) || !sent || !hashed || !dropped) return null;
  return { level, sent, hashed, dropped };
}

function strings(v: unknown): Record<string, string> | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    if (!isString(s)) return null;
    out[k] = s;
  }
  return out;
}

function optionalString(r: AuditRecord, key: string): string | undefined | null {
  const v = r[key];
  if (v === undefined) return undefined;
  return isString(v) ? v : null;
}

export function toEgressEntry(r: AuditRecord, at: { file: string; line: number }): EgressEntry | undefined {
  if (r.type !== 'egress') return undefined;
  const { id, vendor, endpoint, level, policy, decision, client, bytes } = r;
  if (!isString(id) || !isString(vendor) || !isString(endpoint) || !isString(policy) || !isString(client)) return undefined;
  if (!isString(decision) || !DECISIONS.includes(decision)) return undefined;
  if (typeof level !== 'number' || !isCount(bytes) || !isString(r.ts) || typeof r.seq !== 'number') return undefined;
  const dropped = counts(r['dropped']);
  const hashed = counts(r['hashed']);
  const unknown = counts(r['unknown']);
  if (!dropped || !hashed || !unknown) return undefined;
  const shadow = shadowOf(r['shadow']);
  if (shadow === null) return undefined;
  const invalid = r['invalid'] === undefined ? {} : counts(r['invalid']);
  const redacted = r['redacted'] === undefined ? {} : counts(r['redacted']);
  const detections = r['detections'] === undefined ? {} : counts(r['detections']);
  const headers = r['headers'] === undefined ? {} : strings(r['headers']);
  const refused = r['headers_refused'] === undefined ? undefined : strings(r['headers_refused']);
  if (!invalid || !redacted || !detections || !headers || refused === null) return undefined;
  const optional: Partial<Record<'reason' | 'upstream' | 'client_version' | 'body_sha256', string>> = {};
  for (const key of ['reason', 'upstream', 'client_version', 'body_sha256'] as const) {
    const v = optionalString(r, key);
    if (v === null) return undefined;
    if (v !== undefined) optional[key] = v;
  }
  // Members in the record's own order, so JSON output reads like the log.
  const entry: EgressEntry = {
    file: at.file, line: at.line, seq: r.seq, ts: r.ts, id, vendor, endpoint, level, policy, decision: decision as Decision,
    ...(optional.reason === undefined ? {} : { reason: optional.reason }),
    ...(optional.upstream === undefined ? {} : { upstream: optional.upstream }),
    client,
    ...(optional.client_version === undefined ? {} : { client_version: optional.client_version }),
    ...(optional.body_sha256 === undefined ? {} : { body_sha256: optional.body_sha256 }),
    headers,
    ...(refused === undefined ? {} : { headers_refused: refused }),
    bytes, dropped, hashed, unknown, invalid, redacted, detections,
    ...(shadow === undefined ? {} : { shadow }),
  };
  return entry;
}

export function toOutcomeEntry(r: AuditRecord): OutcomeEntry | undefined {
  if (r.type !== 'outcome' || !isString(r['id']) || !isString(r.ts)) return undefined;
  const out: OutcomeEntry = { ts: r.ts, id: r['id'] };
  const { status, ms, error } = r;
  if (typeof status === 'number') out.status = status;
  if (typeof ms === 'number') out.ms = ms;
  if (isString(error)) out.error = error;
  return out;
}
