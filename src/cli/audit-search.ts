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
import { scanAuditFolder, type AuditLocation } from './audit-folder';
import { countsSum, printNoMatch, streamingRow } from './audit-table';
import { closestName } from './closest-name';
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

export async function runAuditSearch(at: AuditLocation, opts: AuditSearchOptions, io: CliIO): Promise<number> {
  const vendorsSeen = new Set<string>();
  const ran = await scanAuditFolder(COMMAND, at, io, async (scan, progress) => {
    let matched = 0;
    const search = searchEgress(scan, opts.filter, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...progress,
      vendorsSeen,
    });
    for await (const hit of search) {
      if (matched++ === 0 && opts.format === 'text') io.stdout(streamingRow(HEADERS, WIDTHS));
      io.stdout(opts.format === 'json' ? `${JSON.stringify(searchJson(hit))}\n` : textRow(hit));
      // Nobody reads any more (`| head`): the rest of a large log need not be scanned.
      if (io.stdoutClosed?.() === true) break;
    }
    return matched;
  }, opts.filter.since === undefined ? {} : { since: opts.filter.since });
  if (!ran) return EXIT_USAGE;
  // NDJSON consumers get an empty stream.
  if (ran.result === 0) {
    printNoMatch(opts.format, io);
    const vendor = opts.filter.vendor;
    if (vendor !== undefined && !vendorsSeen.has(vendor)) io.stderr(`${COMMAND}: ${noSuchVendor(vendor, vendorsSeen)}\n`);
  }
  return EXIT_OK;
}

/** A vendor no record names is more often a typo than a quiet vendor: say which ones the log knows. */
function noSuchVendor(vendor: string, seen: ReadonlySet<string>): string {
  if (seen.size === 0) return `note: no egress record of any vendor was read, so none of vendor ${JSON.stringify(vendor)}`;
  const known = [...seen].sort();
  const near = closestName(vendor, known);
  return `note: no record names vendor ${JSON.stringify(vendor)}; the records read name ${known.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`;
}
