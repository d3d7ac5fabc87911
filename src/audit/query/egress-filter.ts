/** The filters of `telegate audit search`: a record matches when it passes every filter given. */
import type { Decision } from '../types';
import type { EgressEntry } from './entries';
import { matchesField, type FieldAction, type FieldQuery } from './field-query';

export interface EgressFilter {
  vendor?: string;
  endpoint?: string;
  level?: number;
  decision?: Decision;
  /** Inclusive lower bound, epoch ms. */
  since?: number;
  /** Exclusive upper bound, epoch ms: `--since D --until D+1` is one day. */
  until?: number;
  /** Request id. */
  id?: string;
  field?: FieldQuery;
  action?: FieldAction;
}

export function inTimeRange(ts: string, since: number | undefined, until: number | undefined): boolean {
  if (since === undefined && until === undefined) return true;
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return false;
  return (since === undefined || t >= since) && (until === undefined || t < until);
}

/** Cheap filters first; `sentBody` (parsing the body) only when `--field`/`--action sent` needs it. */
export function matchesEgress(entry: EgressEntry, filter: EgressFilter, sentBody: () => unknown): boolean {
  if (filter.id !== undefined && entry.id !== filter.id) return false;
  if (filter.vendor !== undefined && entry.vendor !== filter.vendor) return false;
  if (filter.endpoint !== undefined && entry.endpoint !== filter.endpoint) return false;
  if (filter.level !== undefined && entry.level !== filter.level) return false;
  if (filter.decision !== undefined && entry.decision !== filter.decision) return false;
  if (!inTimeRange(entry.ts, filter.since, filter.until)) return false;
  if (filter.field === undefined && filter.action === undefined) return true;
  return matchesField(entry, filter.field, filter.action, sentBody);
}
