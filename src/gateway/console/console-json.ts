/**
 * The console's JSON answers, in the shapes `telegate audit search/show --format json` print, so a
 * script can use either. A record's body goes in as the bytes that were sent, never through
 * JSON.parse/stringify, so integers beyond 2^53 keep every digit.
 */
import type { OutcomeEntry } from '../../audit/query/entries';
import { formatCursor, type NewestPage } from '../../audit/query/newest';
import type { JoinedEgress } from '../../audit/query/outcome-join';
import type { ShownRequest } from '../../audit/query/show';

function outcomeJson(o: OutcomeEntry | null): Omit<OutcomeEntry, 'id'> | null {
  if (o === null) return null;
  const { id: _id, ...rest } = o;
  return rest;
}

function entryJson({ egress, outcome }: JoinedEgress): Record<string, unknown> {
  const { file, line, ...fields } = egress;
  return { ...fields, outcome: outcomeJson(outcome), file, line };
}

export function recordsJson(page: NewestPage): { records: Record<string, unknown>[]; next: string | null } {
  return { records: page.hits.map(entryJson), next: page.next ? formatCursor(page.next) : null };
}

export function recordJson(shown: ShownRequest): string {
  const head = JSON.stringify(entryJson({ egress: shown.egress, outcome: shown.outcome }));
  return shown.body === undefined ? head : `${head.slice(0, -1)},"body":${shown.body.toString('utf8')}}`;
}
