/**
 * Registers `audit search|show|drift|stats` beside `audit verify`. Option values are checked here, by
 * commander, so a bad --since, --level or --field is a usage error (exit 2) before anything is read. The
 * commands themselves are loaded on demand, like verify: the policy commands never load the audit code.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { EgressFilter } from '../audit/query/egress-filter';
import { FIELD_ACTIONS, type FieldAction, type FieldQuery } from '../audit/query/field-query';
import { parseTimeBound } from '../audit/query/time-bound';
import type { Decision } from '../audit/types';
import { parseReportPath } from '../policy/paths';
import { LEVELS } from '../policy/types';
import type { runAuditDrift as RunAuditDrift } from './audit-drift';
import type { runAuditSearch as RunAuditSearch } from './audit-search';
import type { runAuditShow as RunAuditShow } from './audit-show';
import type { runAuditStats as RunAuditStats } from './audit-stats';
import { CONFIG_HELP } from './cli-config';
import type { CliIO } from './io';

type Format = 'text' | 'json';
type Run = (action: () => Promise<number>) => void;

const DIR_HELP = 'audit folder (default: the configured audit.dir: --config, TELEGATE_AUDIT_DIR, else ./audit)';
const TIME_HELP = 'ISO 8601 date or date-time (UTC unless an offset is given), or a span back from now: 90m, 24h, 7d';

function parseTime(text: string): number {
  const r = parseTimeBound(text, Date.now);
  if (!r.ok) throw new InvalidArgumentError(r.message);
  return r.ms;
}

function parseLevel(text: string): number {
  const level = LEVELS.find((l) => String(l) === text.trim());
  if (level === undefined) throw new InvalidArgumentError(`"${text}" is not a level: use 0, 1 or 2.`);
  return level;
}

function parseLimit(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim()) || Number(text) < 1) throw new InvalidArgumentError(`"${text}" is not a positive whole number.`);
  return Number(text);
}

/** The policy language's own path parser, so a path is written (and normalised) as the records write it. */
function parseField(text: string): FieldQuery {
  const r = parseReportPath(text);
  if (!r.ok) throw new InvalidArgumentError(`"${text}" is not a field path: ${r.message} (at character ${r.offset + 1})`);
  return { text: r.path.text, segments: r.path.segments };
}

const formatOption = () => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
export const configOption = () => new Option('--config <file>', CONFIG_HELP);

interface SearchFlags {
  vendor?: string; endpoint?: string; level?: number; decision?: Decision; since?: number; until?: number;
  field?: FieldQuery; action?: FieldAction; id?: string; limit?: number; format: Format; config?: string;
}

function filterOf(f: SearchFlags): EgressFilter {
  const filter: EgressFilter = {};
  if (f.vendor !== undefined) filter.vendor = f.vendor;
  if (f.endpoint !== undefined) filter.endpoint = f.endpoint;
  if (f.level !== undefined) filter.level = f.level;
  if (f.decision !== undefined) filter.decision = f.decision;
  if (f.since !== undefined) filter.since = f.since;
  if (f.until !== undefined) filter.until = f.until;
  if (f.field !== undefined) filter.field = f.field;
  if (f.action !== undefined) filter.action = f.action;
  if (f.id !== undefined) filter.id = f.id;
  return filter;
}

export function registerAuditQueryCommands(audit: Command, io: CliIO, run: Run): void {
  audit.command('search')
    .description('egress records matching every filter, each with its outcome (no body: see audit show)')
    .argument('[dir]', DIR_HELP)
    .option('--vendor <vendor>', 'vendor, e.g. coder')
    .option('--endpoint <path>', 'endpoint path, e.g. /snapshot')
    .option('--level <level>', 'telemetry level: 0, 1 or 2', parseLevel)
    .addOption(new Option('--decision <decision>', 'what happened to the request').choices(['forwarded', 'blocked', 'rejected']))
    .option('--since <time>', `from this time on (inclusive); ${TIME_HELP}`, parseTime)
    .option('--until <time>', `before this time (exclusive); ${TIME_HELP}`, parseTime)
    .option('--field <path>', 'a field path as the records write it, e.g. users[*].email: dropped, hashed, unknown, or present in the sent body', parseField)
    .addOption(new Option('--action <action>', 'what happened to --field (alone: records with any such field)').choices([...FIELD_ACTIONS]))
    .option('--id <request-id>', 'request id')
    .option('--limit <n>', 'stop after N records', parseLimit)
    .addOption(formatOption())
    .addOption(configOption())
    .action((dir: string | undefined, flags: SearchFlags) => run(async () => {
      const { runAuditSearch } = require('./audit-search') as { runAuditSearch: typeof RunAuditSearch };
      return runAuditSearch({ dir, config: flags.config }, { filter: filterOf(flags), format: flags.format, ...(flags.limit === undefined ? {} : { limit: flags.limit }) }, io);
    }));

  audit.command('show')
    .description('one request: its egress record, outcome, dropped/hashed/unknown fields and the body as sent; exit 1 if the id is not found')
    .argument('<id>', 'request id')
    .argument('[dir]', DIR_HELP)
    .addOption(formatOption())
    .addOption(configOption())
    .action((id: string, dir: string | undefined, flags: { format: Format; config?: string }) => run(async () => {
      const { runAuditShow } = require('./audit-show') as { runAuditShow: typeof RunAuditShow };
      return runAuditShow(id, { dir, config: flags.config }, flags, io);
    }));

  audit.command('drift')
    .description('unknown field paths (schema drift) by vendor, endpoint and client version, with count, first and last seen')
    .argument('[dir]', DIR_HELP)
    .option('--vendor <vendor>', 'only this vendor')
    .addOption(formatOption())
    .addOption(configOption())
    .action((dir: string | undefined, flags: { vendor?: string; format: Format; config?: string }) => run(async () => {
      const { runAuditDrift } = require('./audit-drift') as { runAuditDrift: typeof RunAuditDrift };
      return runAuditDrift({ dir, config: flags.config }, flags, io);
    }));

  audit.command('stats')
    .description('requests, bytes and dropped/hashed/unknown field counts by vendor, level and decision')
    .argument('[dir]', DIR_HELP)
    .option('--since <time>', `from this time on (inclusive); ${TIME_HELP}`, parseTime)
    .option('--until <time>', `before this time (exclusive); ${TIME_HELP}`, parseTime)
    .addOption(formatOption())
    .addOption(configOption())
    .action((dir: string | undefined, flags: { since?: number; until?: number; format: Format; config?: string }) => run(async () => {
      const { runAuditStats } = require('./audit-stats') as { runAuditStats: typeof RunAuditStats };
      return runAuditStats({ dir, config: flags.config }, flags, io);
    }));
}
