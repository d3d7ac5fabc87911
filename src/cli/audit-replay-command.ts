/**
 * Registers `telegate audit replay` (audit-replay.ts). Option values are checked here, by commander, so a
 * bad --level or --since is a usage error (exit 2) before anything is read; the command is loaded on
 * demand, like the other audit commands.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseTimeBound } from '../audit/query/time-bound';
import { LEVELS, type Level } from '../policy/types';
import type { runAuditReplay as RunAuditReplay } from './audit-replay';
import { CONFIG_HELP } from './cli-config';
import type { CliIO } from './io';

type Run = (action: () => Promise<number>) => void;

export interface AuditReplayFlags {
  policies: string;
  current?: string;
  level?: Level;
  vendor?: string;
  endpoint?: string;
  since?: number;
  until?: number;
  format: 'text' | 'json';
  config?: string;
}

function parseLevel(text: string): Level {
  const level = LEVELS.find((l) => String(l) === text.trim());
  if (level === undefined) throw new InvalidArgumentError(`"${text}" is not a level: use 0, 1 or 2.`);
  return level;
}

function parseTime(text: string): number {
  const r = parseTimeBound(text, Date.now);
  if (!r.ok) throw new InvalidArgumentError(r.message);
  return r.ms;
}

export function registerAuditReplayCommand(audit: Command, io: CliIO, run: Run): void {
  audit.command('replay')
    .description('run a candidate policy set over the bodies in the audit log: per vendor and endpoint, what would newly leave, stop leaving or change action; exit 1 when the candidate sends what the current set does not')
    .argument('[dir]', 'audit folder (default: the configured audit.dir: --config, TELEGATE_AUDIT_DIR, else ./audit)')
    .requiredOption('--policies <dir>', 'the candidate policy folder (or file)')
    .option('--current <dir>', 'the policies in force, for rules no logged request exercised (default: the configured policies folder)')
    .option('--level <level>', 'replay at this level (default: each record\'s own)', parseLevel)
    .option('--vendor <vendor>', 'only this vendor\'s records')
    .option('--endpoint <path>', 'only this endpoint\'s records')
    .option('--since <time>', 'records from this time on (inclusive): ISO 8601, or 24h, 7d', parseTime)
    .option('--until <time>', 'records before this time (exclusive)', parseTime)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--config <file>', CONFIG_HELP))
    .action((dir: string | undefined, flags: AuditReplayFlags) => run(async () => {
      const { runAuditReplay } = require('./audit-replay') as { runAuditReplay: typeof RunAuditReplay };
      return runAuditReplay({ dir, config: flags.config }, flags, io);
    }));
}
