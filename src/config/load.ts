/**
 * The configuration `telegate serve` runs with: the built-in defaults, then the file (`--config`, else
 * TELEGATE_CONFIG, else none), then the environment. Every problem found is returned at once, each
 * naming the key or variable, so one failed start shows everything to fix (SPEC §4: exit code 2).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import * as yaml from 'js-yaml';
import { defaultConfig } from './defaults';
import { readEnvOverrides, type EnvOverrides } from './env';
import { mergeConfig } from './merge';
import { configFileSchema, type ConfigFile } from './schema';
import { schemaErrorMessages } from './schema-errors';
import { semanticErrors } from './semantic-checks';
import type { GatewayConfig } from './types';

export interface LoadConfigOptions {
  /** The file named on the command line; it wins over TELEGATE_CONFIG. */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** Where relative paths (the file's own name too) point; defaults to process.cwd(). */
  cwd?: string;
}

export type LoadConfigResult = { ok: true; value: GatewayConfig } | { ok: false; errors: string[] };

let validator: ValidateFunction<ConfigFile> | undefined;

function validateFile(): ValidateFunction<ConfigFile> {
  // verbose: the error messages read `parentSchema` for allowed keys and pattern descriptions.
  validator ??= new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true })
    .compile<ConfigFile>(configFileSchema);
  return validator;
}

export async function loadConfig(options: LoadConfigOptions): Promise<LoadConfigResult> {
  const env = readEnvOverrides(options.env);
  const errors = env.ok ? [] : [...env.errors];
  const overrides: EnvOverrides = env.ok ? env.value : { vendorLevels: new Map(), vendorUpstreams: new Map() };

  const cwd = options.cwd ?? process.cwd();
  const fileName = options.file ?? overrides.configFile;
  let file: ConfigFile = {};
  if (fileName !== undefined) {
    const read = await readConfigFile(fileName, path.resolve(cwd, fileName));
    if (read.ok) file = read.value;
    else errors.push(...read.errors);
  }
  if (errors.length) return { ok: false, errors };

  const config = mergeConfig(defaultConfig(), file, overrides, cwd);
  const semantic = await semanticErrors(config, file, fileName);
  return semantic.length ? { ok: false, errors: semantic } : { ok: true, value: config };
}

type FileResult = { ok: true; value: ConfigFile } | { ok: false; errors: string[] };

/** `fileName` as the user wrote it names the file in messages; `absolute` is what is read. */
async function readConfigFile(fileName: string, absolute: string): Promise<FileResult> {
  let source: string;
  try {
    source = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code ?? 'cannot be read';
    return { ok: false, errors: [`${fileName}: cannot read the configuration file: ${why}`] };
  }

  let documents: unknown[];
  try {
    documents = yaml.loadAll(source, { filename: fileName });
  } catch (err) {
    if (!(err instanceof yaml.YAMLException)) throw err;
    // `reason` and `mark` only: err.message quotes the lines around the error, and one may hold the token.
    const at = err.mark ? `:${err.mark.line + 1}:${err.mark.column + 1}` : '';
    return { ok: false, errors: [`${fileName}${at}: YAML syntax: ${err.reason}`] };
  }
  if (documents.length > 1) {
    return { ok: false, errors: [`${fileName}: holds ${documents.length} YAML documents; a configuration file holds one`] };
  }
  // A file of comments only (or an empty one) keeps every default.
  const document = documents[0] ?? {};

  const validate = validateFile();
  if (!validate(document)) {
    return { ok: false, errors: schemaErrorMessages(validate.errors ?? []).map((m) => `${fileName}: ${m}`) };
  }
  return { ok: true, value: document };
}
