/**
 * The `telegate` command line (SPEC §7). Every command writes through a CliIO and returns its exit code,
 * so tests run the real parser and commands in-process; nothing here calls process.exit.
 *
 * Every command takes `--config FILE` (and the TELEGATE_* environment) for its defaults (cli-config.ts).
 *
 * `serve` and `audit verify` are loaded on demand, so the policy commands a security engineer runs on a
 * laptop or in CI never load the HTTP stack (express, the proxy) or the audit machinery. That is a plain
 * `require`: under `module: node20` a dynamic `import()` stays an ES import, which jest cannot run in CJS.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { LEVELS, type Level } from '../policy/types';
import type { runAuditVerify as RunAuditVerify } from './audit-verify';
import { configOption, registerAuditQueryCommands } from './audit-query-commands';
import { registerAuditReplayCommand } from './audit-replay-command';
import { registerAuditTlogCommands, repeatable } from './audit-tlog-commands';
import type { runConfigValidate as RunConfigValidate } from './config-validate';
import { EXIT_OK, EXIT_USAGE, finalExitCode, processIO, type CliIO } from './io';
import { runPolicyCheck } from './policy-check';
import { runPolicyExplain, type PolicyExplainOptions } from './policy-explain';
import { runPolicyReport } from './policy-report';
import { registerPolicyScaffoldCommand } from './policy-scaffold-command';
import { runPolicyTest, type PolicyTestOptions } from './policy-test';
import type { runServe as RunServe } from './serve';
import { telegateVersion } from './version';

type Action = () => Promise<number>;

function parseFilter(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw new InvalidArgumentError(`"${text}" is not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseLevel(text: string): Level {
  const level = LEVELS.find((l) => String(l) === text.trim());
  if (level === undefined) throw new InvalidArgumentError(`"${text}" is not a level: use 0 (nothing leaves), 1 (anonymous) or 2 (vendor default).`);
  return level;
}

/** Builds a fresh program per run: commander keeps parsed state on its objects. */
function buildProgram(io: CliIO, run: (action: Action) => void): Command {
  const program = new Command('telegate')
    .description('Policy-as-config privacy gateway for product telemetry')
    .version(telegateVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);

  program.command('serve')
    .description('run the gateway')
    .option('--config <file>', 'configuration file (default: TELEGATE_CONFIG, else built-in defaults)')
    .action((opts: { config?: string }) => run(async () => {
      const { runServe } = require('./serve') as { runServe: typeof RunServe };
      return runServe(opts.config === undefined ? {} : { config: opts.config }, io);
    }));

  program.command('config').description('check the gateway configuration')
    .command('validate')
    .description('check the configuration and every policy it names as serve would, without serving; every problem in one run; exit 1 on any (serve: 2)')
    .option('--config <file>', 'configuration file (default: TELEGATE_CONFIG, else built-in defaults)')
    .action((opts: { config?: string }) => run(async () => {
      const { runConfigValidate } = require('./config-validate') as { runConfigValidate: typeof RunConfigValidate };
      return runConfigValidate(opts, io);
    }));

  const policy = program.command('policy').description('check, explain, test, report and scaffold policies');

  policy.command('check')
    .description('validate policy files or folders (default: the configured policies folder); errors as file:line:col: message; level 1 must send nothing level 2 does not')
    .argument('[paths...]', 'policy files or folders')
    .addOption(configOption())
    .option('--strict', 'also fail on the findings policy report lists')
    .action((paths: string[], opts: { config?: string; strict?: boolean }) => run(() => runPolicyCheck(paths, io, { ...(opts.config === undefined ? {} : { config: opts.config }), strict: opts.strict === true })));

  policy.command('explain')
    .description('apply a policy to a payload and show what would be sent, dropped, hashed, and what is unknown')
    .requiredOption('--vendor <vendor>', 'vendor whose policy applies, e.g. coder')
    .requiredOption('--endpoint <path>', 'endpoint path, e.g. /snapshot')
    .requiredOption('--level <level>', 'telemetry level: 0, 1 or 2', parseLevel)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--policies <dir>', 'policy folder or file (default: the configured policies folder)')
    .option('--originals', 'text format: show each dropped, hashed and unknown field\'s original value in the diff')
    .option('--summary', 'counts per action and path instead of the body and the diff')
    .addOption(configOption())
    .argument('<file>', 'payload file, or - for stdin')
    .action((file: string, opts: Omit<PolicyExplainOptions, 'file'>) => run(() => runPolicyExplain({ ...opts, file }, io)));

  policy.command('report')
    .description('data inventory for a DPIA: every field with its category and action at levels 1 and 2')
    .argument('[paths...]', 'policy files or folders (default: the configured policies folder)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'html']).default('md'))
    .addOption(configOption())
    .action((paths: string[], opts: { format: 'md' | 'html'; config?: string }) => run(() => runPolicyReport(paths, opts, io)));

  policy.command('test')
    .description('run policy fixture tests (*.test.yaml; default: the tests folder of the configured policies folder); prints failures and "N passed, N failed"')
    .argument('[paths...]', 'fixture files or folders')
    .option('--policies <dir>', 'policy folder (default: the folder above each fixture\'s folder)')
    .option('-v, --verbose', 'list every test, passed ones too')
    .option('--filter <regex>', 'run only the fixtures whose name or file name matches', parseFilter)
    .addOption(new Option('--format <format>', 'output format: text, or one JSON object per test').choices(['text', 'json']).default('text'))
    .addOption(configOption())
    .action((paths: string[], opts: PolicyTestOptions) => run(() => runPolicyTest(paths, opts, io)));

  registerPolicyScaffoldCommand(policy, io, run);

  const audit = program.command('audit').description('read and verify the audit log');

  audit.command('verify')
    .description('check the hash chain and every record; exit 1 naming the first bad record. With --checkpoint and --key, also that the log holds everything each signed checkpoint vouched for')
    .argument('[dir]', 'audit folder (default: the configured audit.dir: --config, TELEGATE_AUDIT_DIR, else ./audit)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--checkpoint <file>', 'a signed checkpoint kept elsewhere (repeatable); needs --key', repeatable, [])
    .option('--key <vkey>', 'verifier key the checkpoints must be signed by: name+<key id>+<base64 key> (repeatable)', repeatable, [])
    .addOption(configOption())
    .action((dir: string | undefined, opts: { format: 'text' | 'json'; checkpoint: string[]; key: string[]; config?: string }) => run(async () => {
      const { runAuditVerify } = require('./audit-verify') as { runAuditVerify: typeof RunAuditVerify };
      return runAuditVerify({ dir, config: opts.config }, opts, io);
    }));

  registerAuditQueryCommands(audit, io, run);
  registerAuditTlogCommands(audit, io, run);
  registerAuditReplayCommand(audit, io, run);

  return program;
}

/** Runs the command line; `argv` as in process.argv (node, script, arguments…). */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let pending: Action | undefined;
  const program = buildProgram(io, (action) => { pending = action; });
  try {
    await program.parseAsync([...argv], { from: 'node' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // --help and --version "fail" with exit code 0; every other parser error is a usage error.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (pending === undefined) {
    io.stderr(program.helpInformation());
    return EXIT_USAGE;
  }
  return finalExitCode(io, await pending());
}
