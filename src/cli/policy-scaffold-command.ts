/**
 * Registers `telegate policy scaffold` (policy-scaffold.ts). Options are checked here, by commander, so a
 * bad vendor name or endpoint is a usage error (exit 2) before anything is read; the command itself is
 * loaded on demand, since --from-drift reads the audit log.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { HTTP_METHODS } from '../policy/schema';
import { CONFIG_HELP, type ConfigOption } from './cli-config';
import type { CliIO } from './io';
import type { runPolicyScaffold as RunPolicyScaffold } from './policy-scaffold';

type Run = (action: () => Promise<number>) => void;

export interface PolicyScaffoldOptions extends ConfigOption {
  vendor: string;
  endpoint: string;
  /** Default: the current endpoint's, else POST. */
  method?: string;
  /** Default: the current endpoint's local reply, else 200. */
  status?: number;
  upstream?: string;
  host?: string[];
  fromDrift?: boolean;
  auditDir?: string;
  policies?: string;
  out?: string;
}

function parseVendor(text: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(text)) throw new InvalidArgumentError(`"${text}" is not a vendor name: lower-case letters, digits and "-", starting with a letter.`);
  return text;
}

function parseEndpoint(text: string): string {
  if (!text.startsWith('/') || /[?#\s]/.test(text)) throw new InvalidArgumentError(`"${text}" is not an endpoint path: an exact request path starting with "/".`);
  return text;
}

function parseStatus(text: string): number {
  const n = Number(text);
  if (!/^\d{3}$/.test(text) || n < 100 || n > 599) throw new InvalidArgumentError(`"${text}" is not an HTTP status (100 to 599).`);
  return n;
}

export function registerPolicyScaffoldCommand(policy: Command, io: CliIO, run: Run): void {
  policy.command('scaffold')
    .description('draft rules for a new vendor or client version from captured bodies or the unknown paths of the audit log: every path dropped, a guessed category, ready for review')
    .argument('[files...]', 'captured request bodies (JSON), or - for stdin')
    .requiredOption('--vendor <vendor>', 'vendor name, e.g. acme', parseVendor)
    .requiredOption('--endpoint <path>', 'endpoint path, e.g. /v1/batch', parseEndpoint)
    .addOption(new Option('--method <method>', 'the endpoint\'s HTTP method (default: the current policy\'s, else POST)').choices([...HTTP_METHODS]))
    .option('--status <code>', 'the vendor\'s usual reply status, telegate\'s answer at level 0 (default: the current policy\'s, else 200)', parseStatus)
    .option('--upstream <url>', 'the vendor\'s telemetry URL (default: the current policy\'s)')
    .option('--host <name>', 'a host name the instance reaches the vendor by, for DNS interception; repeatable (default: the current policy\'s)', (name: string, all: string[] = []) => [...all, name])
    .option('--from-drift', 'also the unknown paths of this vendor endpoint in the audit log (as telegate audit drift lists them)')
    .option('--audit-dir <dir>', 'audit folder for --from-drift (default: the configured audit.dir)')
    .option('--policies <dir>', 'policy folder with the vendor\'s current policy, whose covered paths are left out (default: the configured folder)')
    .option('--out <file>', 'write the draft to this new file instead of stdout')
    .addOption(new Option('--config <file>', CONFIG_HELP))
    .action((files: string[], opts: PolicyScaffoldOptions) => run(async () => {
      const { runPolicyScaffold } = require('./policy-scaffold') as { runPolicyScaffold: typeof RunPolicyScaffold };
      return runPolicyScaffold(files, opts, io);
    }));
}

