/**
 * The configuration every command takes its defaults from (SPEC §7): `--config FILE`, else
 * TELEGATE_CONFIG, else the built-in defaults, with the TELEGATE_* environment over either, exactly as
 * `telegate serve` reads it. `policy …` commands use its policies folder, `audit …` commands its audit
 * folder; a path given on the command line wins and then no configuration is read at all, unless
 * `--config` was given explicitly (a wrong file named on purpose is an error, not silently unused).
 */
import { loadConfig, type GatewayConfig, type LoadConfigOptions } from '../config';
import { EXIT_USAGE, type CliIO } from './io';

export interface ConfigOption { config?: string }

export const CONFIG_HELP = 'configuration file for the defaults (default: TELEGATE_CONFIG, else built-in; the TELEGATE_* environment applies)';

export type CliConfig = { ok: true; value: GatewayConfig } | { ok: false; code: typeof EXIT_USAGE };

/** The configuration, or the errors on stderr prefixed with `command` (the command then exits 2). */
export async function cliConfig(
  command: string, options: ConfigOption, io: CliIO, env: NodeJS.ProcessEnv = process.env, load: Pick<LoadConfigOptions, 'checkpointKeyToCreate'> = {},
): Promise<CliConfig> {
  const loaded = await loadConfig({ env, ...load, ...(options.config === undefined ? {} : { file: options.config }) });
  if (loaded.ok) return loaded;
  io.stderr(`${command}: bad configuration (telegate config validate shows every problem)\n${loaded.errors.map((e) => `  ${e}\n`).join('')}`);
  return { ok: false, code: EXIT_USAGE };
}

/**
 * A default taken from the configuration only when the command line leaves it open: `explicit` wins; an
 * explicit `--config` is still read (and must be valid) so that a typo in its name never goes unnoticed.
 */
export async function configuredDefault<T>(
  command: string, explicit: T | undefined, options: ConfigOption, io: CliIO, pick: (config: GatewayConfig) => T,
): Promise<{ ok: true; value: T; config?: GatewayConfig } | { ok: false; code: typeof EXIT_USAGE }> {
  if (explicit !== undefined && options.config === undefined) return { ok: true, value: explicit };
  const config = await cliConfig(command, options, io);
  if (!config.ok) return config;
  return { ok: true, value: explicit ?? pick(config.value), config: config.value };
}
