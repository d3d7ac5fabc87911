/**
 * The configuration `telegate serve` runs with: the built-in defaults, then the file (`--config`, else
 * TELEGATE_CONFIG, else none), then the environment. Every problem found is returned at once, each
 * naming the key or variable, so one failed start shows everything to fix (SPEC §4: exit code 2).
 *
 * "At once" includes the checks that need a merged configuration (TLS files, ports, upstreams): when the
 * file breaks the schema, the members at fault are left out and the rest is merged and checked too
 * (inspectConfig), so a wrong port and a missing certificate do not come in two rounds.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
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
  /**
   * audit.checkpoint.key_file may name a file that does not exist yet: `audit keygen` reads the
   * configuration to learn where to write the key it makes.
   */
  checkpointKeyToCreate?: boolean;
}

export type LoadConfigResult = { ok: true; value: GatewayConfig } | { ok: false; errors: string[] };

/** Everything found about a configuration, with the best configuration that can be made of it. */
export interface ConfigInspection {
  errors: string[];
  /** Defaults, the file's valid members and the valid environment, merged: what is left to check further. */
  config: GatewayConfig;
  /** The configuration file, as named (undefined: none). */
  fileName?: string;
  /**
   * Top-level keys of the file whose value could not be used (bad YAML: `*`). A check that depends on one
   * (e.g. the policies folder) would only check a default the file did not mean.
   */
  unusable: Set<string>;
}

let validator: ValidateFunction<ConfigFile> | undefined;

function validateFile(): ValidateFunction<ConfigFile> {
  // verbose: the error messages read `parentSchema` for allowed keys and pattern descriptions.
  validator ??= new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true })
    .compile<ConfigFile>(configFileSchema);
  return validator;
}

export async function loadConfig(options: LoadConfigOptions): Promise<LoadConfigResult> {
  const inspection = await inspectConfig(options);
  return inspection.errors.length ? { ok: false, errors: inspection.errors } : { ok: true, value: inspection.config };
}

export async function inspectConfig(options: LoadConfigOptions): Promise<ConfigInspection> {
  const env = readEnvOverrides(options.env);
  const errors = env.ok ? [] : [...env.errors];
  const overrides: EnvOverrides = env.ok ? env.value : env.partial;

  const cwd = options.cwd ?? process.cwd();
  const fileName = options.file ?? overrides.configFile;
  let file: ConfigFile = {};
  const unusable = new Set<string>();
  if (fileName !== undefined) {
    const read = await readConfigFile(fileName, path.resolve(cwd, fileName));
    file = read.value;
    errors.push(...read.errors);
    for (const key of read.unusable) unusable.add(key);
  }

  const config = mergeConfig(defaultConfig(), file, overrides, cwd);
  errors.push(...await semanticErrors(config, file, fileName, { checkpointKeyToCreate: options.checkpointKeyToCreate === true }));
  return { errors, config, ...(fileName === undefined ? {} : { fileName }), unusable };
}

interface FileResult { value: ConfigFile; errors: string[]; unusable: string[] }

/** `fileName` as the user wrote it names the file in messages; `absolute` is what is read. */
async function readConfigFile(fileName: string, absolute: string): Promise<FileResult> {
  const nothing = (error: string): FileResult => ({ value: {}, errors: [error], unusable: ['*'] });
  let source: string;
  try {
    source = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code ?? 'cannot be read';
    return nothing(`${fileName}: cannot read the configuration file: ${why}`);
  }

  let documents: unknown[];
  try {
    documents = yaml.loadAll(source, { filename: fileName });
  } catch (err) {
    if (!(err instanceof yaml.YAMLException)) throw err;
    // `reason` and `mark` only: err.message quotes the lines around the error, and one may hold the token.
    const at = err.mark ? `:${err.mark.line + 1}:${err.mark.column + 1}` : '';
    return nothing(`${fileName}${at}: YAML syntax: ${err.reason}`);
  }
  if (documents.length > 1) {
    return nothing(`${fileName}: holds ${documents.length} YAML documents; a configuration file holds one`);
  }
  // A file of comments only (or an empty one) keeps every default.
  const document = documents[0] ?? {};

  const validate = validateFile();
  if (validate(document)) return { value: document, errors: [], unusable: [] };
  const errors = schemaErrorMessages(validate.errors ?? []).map((m) => `${fileName}: ${m}`);
  const pruned = withoutInvalidMembers(document, validate);
  return pruned === undefined
    ? { value: {}, errors, unusable: ['*'] }
    : { value: pruned.value, errors, unusable: pruned.removed };
}

/**
 * The document without the members ajv found fault with, so the rest can still be merged and checked. A
 * member whose removal leaves its parent invalid (a `tls` without its `key`) takes the parent with it.
 * Undefined when nothing usable is left (the document is not a mapping).
 */
function withoutInvalidMembers(document: unknown, validate: ValidateFunction<ConfigFile>): { value: ConfigFile; removed: string[] } | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return undefined;
  const copy = structuredClone(document) as Record<string, unknown>;
  const removed = new Set<string>();
  for (let round = 0; round < 8; round++) {
    if (validate(copy)) return { value: copy as ConfigFile, removed: [...removed] };
    for (const e of validate.errors ?? []) {
      const at = faultyMember(e);
      if (at.length === 0) return undefined;
      removed.add(at[0]!);
      deleteAt(copy, at);
    }
  }
  return undefined;
}

/** The pointer segments of the member an error is about: the unknown key itself, else the value. */
function faultyMember(e: ErrorObject): string[] {
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return [...segments, String(params['additionalProperty'])];
  if (e.keyword === 'propertyNames' && typeof params['propertyName'] === 'string') return [...segments, params['propertyName']];
  if (e.keyword === 'pattern' && e.propertyName !== undefined) return [...segments, e.propertyName];
  return segments;
}

function deleteAt(root: Record<string, unknown>, at: readonly string[]): void {
  let node: unknown = root;
  for (const key of at.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'object' && node !== null) delete (node as Record<string, unknown>)[at[at.length - 1]!];
}
