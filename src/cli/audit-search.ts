/**
 * `telegate audit search [DIR] [filters…] [--limit N] [--format text|json]`: egress records matching
 * every filter, joined with their outcome, printed as they are found. text: a table; json: one object a
 * line (NDJSON), without the body (`audit show ID` prints it). No match is not an error (exit 0).
 */
import type { EgressEntry, OutcomeEntry } from '../audit/query/entries';
import type { EgressFilter } from '../audit/query/egress-filter';
import type { JoinedEgress } from '../audit/query/outcome-join';
import { searchJson } from '../audit/query/result-json';
import { searchEgress } from '../audit/query/search';
import { scanAuditFolder } from './audit-folder';
import { countsSum, printNoMatch, streamingRow } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditSearchOptions {
  filter: EgressFilter;
  limit?: number;
  format: 'text' | 'json';
}

const COMMAND = 'telegate audit search';
const HEADERS = ['TS', 'ID', 'VENDOR', 'ENDPOINT', 'LEVEL', 'DECISION', 'BYTES', 'DROP/HASH/UNK', 'OUTCOME'];
const WIDTHS = [24, 36, 12, 16, 5, 9, 10, 13];

function outcomeText(e: EgressEntry, o: OutcomeEntry | null): string {
  if (o === null) return e.decision === 'forwarded' ? 'none recorded' : '-';
  const ms = o.ms === undefined ? '' : ` ${o.ms}ms`;
  if (o.error !== undefined) return `error${ms}: ${o.error.length > 60 ? `${o.error.slice(0, 60)}…` : o.error}`;
  return `${o.status ?? '?'}${ms}`;
}

function textRow({ egress: e, outcome }: JoinedEgress): string {
  return streamingRow([
    e.ts, e.id, e.vendor, e.endpoint, String(e.level), e.decision, String(e.bytes),
    `${countsSum(e.dropped)}/${countsSum(e.hashed)}/${countsSum(e.unknown)}`, outcomeText(e, outcome),
  ], WIDTHS);
}

export async function runAuditSearch(dir: string | undefined, opts: AuditSearchOptions, io: CliIO): Promise<number> {
  const ran = await scanAuditFolder(COMMAND, dir, io, async (scan, progress) => {
    let matched = 0;
    const search = searchEgress(scan, opts.filter, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...progress,
    });
    for await (const hit of search) {
      if (matched++ === 0 && opts.format === 'text') io.stdout(streamingRow(HEADERS, WIDTHS));
      io.stdout(opts.format === 'json' ? `${JSON.stringify(searchJson(hit))}\n` : textRow(hit));
    }
    return matched;
  }, opts.filter.since === undefined ? {} : { since: opts.filter.since });
  if (!ran) return EXIT_USAGE;
  // NDJSON consumers get an empty stream.
  if (ran.result === 0) printNoMatch(opts.format, io);
  return EXIT_OK;
}
