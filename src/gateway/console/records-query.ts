/**
 * The records view's query string -> an audit search filter, with a message per field the user got wrong
 * (shown beside the form, 400). Field paths go through the policy language's parser, as on the command
 * line, so `'users[*]'.email` and `users[*].email` are one path.
 */
import type { EgressFilter } from '../../audit/query/egress-filter';
import { FIELD_ACTIONS, type FieldAction } from '../../audit/query/field-query';
import { parseCursor, type EgressCursor } from '../../audit/query/newest';
import { parseTimeBound } from '../../audit/query/time-bound';
import type { Decision } from '../../audit/types';
import { parseReportPath } from '../../policy/paths';

export const DECISIONS: readonly Decision[] = ['forwarded', 'blocked', 'rejected'];
export const PAGE_SIZES: readonly number[] = [25, 50, 100, 200];
export const DEFAULT_PAGE_SIZE = 50;

/** What the form shows back: the raw text of every field. */
export type RecordsForm = Record<'vendor' | 'endpoint' | 'level' | 'decision' | 'since' | 'until' | 'field' | 'action' | 'limit', string>;

export interface RecordsQuery {
  form: RecordsForm;
  filter: EgressFilter;
  limit: number;
  before?: EgressCursor;
  errors: { field: keyof RecordsForm | 'before'; message: string }[];
}

export type QueryValues = Record<string, unknown>;

/** The first value of a query parameter, trimmed; '' when absent or not text. */
export function queryText(q: QueryValues, name: string): string {
  const v = q[name];
  const first = Array.isArray(v) ? (v as unknown[])[0] : v;
  return typeof first === 'string' ? first.trim() : '';
}

export function parseRecordsQuery(q: QueryValues, now: () => number): RecordsQuery {
  const form: RecordsForm = {
    vendor: queryText(q, 'vendor'), endpoint: queryText(q, 'endpoint'), level: queryText(q, 'level'), decision: queryText(q, 'decision'),
    since: queryText(q, 'since'), until: queryText(q, 'until'), field: queryText(q, 'field'), action: queryText(q, 'action'), limit: queryText(q, 'limit'),
  };
  const filter: EgressFilter = {};
  const errors: RecordsQuery['errors'] = [];
  if (form.vendor !== '') filter.vendor = form.vendor;
  if (form.endpoint !== '') filter.endpoint = form.endpoint;
  if (form.level !== '') {
    if (/^[012]$/.test(form.level)) filter.level = Number(form.level);
    else errors.push({ field: 'level', message: 'level is 0, 1 or 2' });
  }
  if (form.decision !== '') {
    const d = DECISIONS.find((x) => x === form.decision);
    if (d) filter.decision = d;
    else errors.push({ field: 'decision', message: `decision is one of ${DECISIONS.join(', ')}` });
  }
  for (const bound of ['since', 'until'] as const) {
    if (form[bound] === '') continue;
    const t = parseTimeBound(form[bound], now);
    if (t.ok) filter[bound] = t.ms;
    else errors.push({ field: bound, message: t.message });
  }
  if (form.field !== '') {
    const p = parseReportPath(form.field);
    if (p.ok) filter.field = { text: p.path.text, segments: p.path.segments };
    else errors.push({ field: 'field', message: `"${form.field}" is not a field path: ${p.message} (at character ${p.offset + 1})` });
  }
  if (form.action !== '') {
    const a = FIELD_ACTIONS.find((x): x is FieldAction => x === form.action);
    if (a) filter.action = a;
    else errors.push({ field: 'action', message: `action is one of ${FIELD_ACTIONS.join(', ')}` });
  }
  let limit = DEFAULT_PAGE_SIZE;
  if (form.limit !== '') {
    const n = Number(form.limit);
    if (PAGE_SIZES.includes(n)) limit = n;
    else errors.push({ field: 'limit', message: `records per page is one of ${PAGE_SIZES.join(', ')}` });
  }
  const out: RecordsQuery = { form, filter, limit, errors };
  const beforeText = queryText(q, 'before');
  if (beforeText !== '') {
    const c = parseCursor(beforeText);
    if (c) out.before = c;
    else errors.push({ field: 'before', message: 'the page link is not valid: start again from the first page' });
  }
  return out;
}

/** The query string for the same filters with another cursor (for "older" links). */
export function recordsHref(base: string, form: RecordsForm, before?: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== '') params.set(k, v);
  if (before !== undefined) params.set('before', before);
  const s = params.toString();
  return s === '' ? base : `${base}?${s}`;
}
