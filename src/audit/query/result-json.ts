/**
 * The JSON shapes of query results, shared by `telegate audit search/show --format json` and the
 * console's JSON answers, so a script can read either. A record's body goes in as the bytes that were
 * sent, never through JSON.parse/stringify, so integers beyond 2^53 keep every digit.
 */
import type { OutcomeEntry } from './entries';
import type { JoinedEgress } from './outcome-join';
import type { ShownRequest } from './show';

/** The outcome record's own members (its id is the request's). */
export function outcomeJson(o: OutcomeEntry | null): Omit<OutcomeEntry, 'id'> | null {
  if (o === null) return null;
  const { id: _id, ...rest } = o;
  return rest;
}

/** The record as written, minus the body, plus its outcome and where it is. */
export function searchJson({ egress: e, outcome }: JoinedEgress): Record<string, unknown> {
  const { file, line, ...fields } = e;
  return { ...fields, outcome: outcomeJson(outcome), file, line };
}

/** One request as compact JSON text: searchJson's shape with the body as sent appended. */
export function shownJson(shown: ShownRequest): string {
  const head = JSON.stringify(searchJson(shown));
  return shown.body === undefined ? head : `${head.slice(0, -1)},"body":${shown.body.toString('utf8')}}`;
}
