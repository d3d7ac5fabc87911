/**
 * `telegate audit show ID [DIR] [--format text|json]`: one request as the log holds it — the egress
 * record, its outcome, what was dropped, hashed and unknown, and the body exactly as it was sent,
 * re-indented without being parsed (integers beyond 2^53 keep every digit). Exit 1 when no egress record
 * has that id.
 */
import type { OutcomeEntry } from '../audit/query/entries';
import { findRequest, type ShownRequest } from '../audit/query/show';
import { indentJsonChunks } from '../json/indent';
import { shownJson } from '../audit/query/result-json';
import { scanAuditFolder, type AuditLocation } from './audit-folder';
import { countsSum } from './audit-table';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditShowOptions { format: 'text' | 'json' }

const COMMAND = 'telegate audit show';

function outcomeLine(decision: string, o: OutcomeEntry | null): string {
  if (o === null) return decision === 'forwarded' ? 'none recorded' : `none (nothing was forwarded: ${decision})`;
  const ms = o.ms === undefined ? '' : ` after ${o.ms} ms`;
  if (o.error !== undefined) return `error${ms}: ${o.error} (at ${o.ts})`;
  return `HTTP ${o.status ?? '?'}${ms} (at ${o.ts})`;
}

function countsBlock(label: string, counts: Record<string, number>): string {
  const paths = Object.keys(counts).sort();
  if (paths.length === 0) return `${label.padEnd(10)}none\n`;
  const width = Math.max(...paths.map((p) => p.length));
  const lines = paths.map((p) => `  ${p.padEnd(width)}  ${counts[p]}\n`).join('');
  return `${label.padEnd(10)}${paths.length} path(s), ${countsSum(counts)} field(s)\n${lines}`;
}

function writeText(shown: ShownRequest, io: CliIO): void {
  const e = shown.egress;
  const rows: [string, string | undefined][] = [
    ['request', e.id],
    ['time', e.ts],
    ['record', `${e.file}:${e.line} (seq ${e.seq})`],
    ['vendor', e.vendor],
    ['endpoint', e.endpoint],
    ['level', String(e.level)],
    ['decision', e.reason === undefined ? e.decision : `${e.decision}: ${e.reason}`],
    ['upstream', e.upstream],
    ['client', e.client_version === undefined ? e.client : `${e.client} (version ${e.client_version})`],
    ['policy', e.policy],
    ['sent', e.body_sha256 === undefined ? 'nothing' : `${e.bytes} bytes, sha256 ${e.body_sha256}`],
    ['outcome', outcomeLine(e.decision, shown.outcome)],
  ];
  io.stdout(rows.filter((r): r is [string, string] => r[1] !== undefined).map(([k, v]) => `${k.padEnd(10)}${v}\n`).join(''));
  io.stdout(countsBlock('dropped', e.dropped) + countsBlock('hashed', e.hashed) + countsBlock('unknown', e.unknown)
    + countsBlock('invalid', e.invalid ?? {}) + countsBlock('redacted', e.redacted ?? {}));
  if (shown.body === undefined) return;
  io.stdout('body as sent:\n');
  for (const chunk of indentJsonChunks(shown.body.toString('utf8'))) io.stdout(chunk);
  io.stdout('\n');
}

function writeJson(shown: ShownRequest, io: CliIO): void {
  for (const chunk of indentJsonChunks(shownJson(shown))) io.stdout(chunk);
  io.stdout('\n');
}

export async function runAuditShow(id: string, at: AuditLocation, opts: AuditShowOptions, io: CliIO): Promise<number> {
  const ran = await scanAuditFolder(COMMAND, at, io, (scan, progress) => findRequest(scan, id, progress));
  if (!ran) return EXIT_USAGE;
  const { folder, result: shown } = ran;
  if (!shown) {
    io.stderr(`${COMMAND}: no egress record with request id ${JSON.stringify(id)} in ${folder}\n`);
    return EXIT_CHECK_FAILED;
  }
  if (opts.format === 'json') writeJson(shown, io);
  else writeText(shown, io);
  return EXIT_OK;
}
