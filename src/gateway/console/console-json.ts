/**
 * The console's page of records as JSON, in the shape `telegate audit search --format json` prints
 * (result-json.ts), with the cursor of the next page.
 */
import { formatCursor, type NewestPage } from '../../audit/query/newest';
import { searchJson } from '../../audit/query/result-json';

export function recordsJson(page: NewestPage): { records: Record<string, unknown>[]; next: string | null } {
  return { records: page.hits.map(searchJson), next: page.next ? formatCursor(page.next) : null };
}
