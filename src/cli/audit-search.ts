/**
 * `telegate audit search [DIR] [filters…] [--limit N] [--format text|json]`: egress records matching
 * every filter, joined with their outcome, printed as they are found. text: a table; json: one object a
 * line (NDJSON), without the body (`audit show ID` prints it). No match is not an error (exit 0).
 */
import type { EgressEntry, OutcomeEntry } from '../audit/query/entries';
import type { EgressFilter } from '../audit/query/egress-filter';
import type { JoinedEgress } from '../audit/query/outcome-join';
import { planScan } from '../audit/query/record-scan';
import { searchEgress } from '../audit/query/search';
import { auditFolder, checkAuditFolder, printScanNotes, systemErrorCode } from './audit-folder';
import { countsSum, streamingRow } from './audit-table';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { scanProgress } from './scan-progress';

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

export async function runAuditSearch(dir: string | undefined, opts: AuditSearchOptions, io: CliIO): Promise<number> {
  const folder = auditFolder(dir);
  const problem = await checkAuditFolder(folder);
  if (problem) {
    io.stderr(`${COMMAND}: ${problem}\n`);
    return EXIT_USAGE;
  }
  const progress = scanProgress(io);
  let matched = 0;
  try {
    const scan = await planScan(folder, opts.filter.since === undefined ? {} : { since: opts.filter.since });
    const search = searchEgress(scan, opts.filter, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    for await (const hit of search) {
      if (matched++ === 0 && opts.format === 'text') io.stdout(streamingRow(HEADERS, WIDTHS));
      io.stdout(opts.format === 'json' ? `${JSON.stringify(searchJson(hit))}\n` : textRow(hit));
    }
    progress.done();
    printScanNotes(COMMAND, scan.notes, io);
  } catch (err) {
    progress.done();
    io.stderr(`${COMMAND}: cannot read ${folder}: ${systemErrorCode(err)}\n`);
    return EXIT_USAGE;
  }
  // NDJSON consumers get an empty stream; the words go where a person reads them.
  if (matched === 0) {
    if (opts.format === 'json') io.stderr('no records match\n');
    else io.stdout('no records match\n');
  }
  return EXIT_OK;
}
