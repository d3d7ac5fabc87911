/**
 * `telegate config validate [--config FILE]` (SPEC §7): what `telegate serve` would refuse, found without
 * serving, all in one run: the environment, the file (syntax, schema, then the rest of it merged and
 * checked as far as it goes), every policy of the configured folder, vendors the configuration names that
 * no policy defines (a misspelt `codr`), the hash key (or the folder serve would generate it in), the
 * checkpoint signing key (loaded as serve loads it: an RSA key is refused), and the audit folder (or the
 * folder serve would create it in). Exit 1 on any problem (SPEC §7; serve exits 2): the two refuse the same
 * configurations (test/e2e/validate-serve-agree.test.ts).
 *
 * Read-only: no key is generated, no folder created, no port bound, no lock taken (a port in use and a
 * chain another live gateway writes are what only a start can tell).
 */
import { constants, type Stats } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { inspectConfig, listenKey, tlsFilesProblem, vendorSettings, type GatewayConfig } from '../config';
import { formatPolicyError, loadPolicySet, type PolicySet } from '../policy';
import { HashKeyError, readHashKey, type HashKey } from '../policy/hash-key';
import { SigningKeyError, loadSigningKey } from '../audit/tlog/signing-key';
import type { ConfigOption } from './cli-config';
import { closestName } from './closest-name';
import { EXIT_CHECK_FAILED, EXIT_OK, type CliIO } from './io';

export interface SetupReport {
  errors: string[];
  /** What serve would do that the operator may not expect (generate a key, create a folder). */
  notes: string[];
  config: GatewayConfig;
  fileName?: string;
  policySet?: PolicySet;
  hashKey?: HashKey['source'];
}

export async function validateSetup(options: ConfigOption, env: NodeJS.ProcessEnv = process.env): Promise<SetupReport> {
  const inspection = await inspectConfig({ env, ...(options.config === undefined ? {} : { file: options.config }) });
  const { config, fileName } = inspection;
  const errors = [...inspection.errors];
  const notes: string[] = [];
  const report: SetupReport = { errors, notes, config, ...(fileName === undefined ? {} : { fileName }) };

  if (inspection.unusable.has('*') || inspection.unusable.has('policies')) {
    notes.push('the policies were not checked: the configuration does not say which folder holds them');
  } else {
    const loaded = await loadPolicySet([config.policies]);
    if (!loaded.ok) errors.push(...loaded.errors.map(formatPolicyError));
    else report.policySet = loaded.value;
    // Whether the set loads or not: a policy file is named after its vendor, so the names are known anyway.
    errors.push(...unknownVendors(config, loaded.ok ? [...loaded.value.policies.keys()] : await vendorFileNames(config.policies), fileName, env));
  }

  if (!inspection.unusable.has('*') && !inspection.unusable.has('listen')) {
    for (const [i, listener] of config.listen.entries()) {
      if (!listener.tls) continue;
      const problem = await tlsFilesProblem(listenKey(config.listen.length, i), listener.tls);
      if (problem) errors.push(`${fileName === undefined ? '' : `${fileName}: `}${problem.key}: ${problem.message}`);
    }
  }
  if (!inspection.unusable.has('*') && !inspection.unusable.has('hash') && !inspection.unusable.has('data_dir')) {
    try {
      const key = await readHashKey({ env, keyFile: config.hash.key_file, dataDir: config.data_dir });
      if (key) report.hashKey = key.source;
      else {
        const problem = await folderProblem(config.data_dir);
        if (problem?.error) errors.push(`data_dir: ${problem.error}; serve would generate the hash key there`);
        else notes.push(`no hash key yet: serve would generate one into ${path.join(config.data_dir, 'hash.key')} (give every replica the same key: TELEGATE_HASH_KEY or hash.key_file)`);
      }
    } catch (error) {
      errors.push(error instanceof HashKeyError ? error.message : String(error));
    }
  }
  if (!inspection.unusable.has('*') && !inspection.unusable.has('audit')) {
    const problem = await folderProblem(config.audit.dir);
    if (problem?.error) errors.push(`audit.dir: ${problem.error}`);
    if (problem?.note) notes.push(`the audit folder ${problem.note}`);
    const keyFile = config.audit.checkpoint.key_file;
    if (keyFile !== null) {
      // The very loader serve uses: a key it would refuse (not PEM, RSA, a bad origin) is refused here.
      try {
        await loadSigningKey(keyFile, config.audit.checkpoint.origin);
      } catch (error) {
        const message = error instanceof SigningKeyError ? error.message : String(error);
        // An unreadable file was already reported by the configuration's own checks.
        if (!message.includes(': cannot read:')) errors.push(message);
      }
    }
  }
  return report;
}

/** The vendors a policy folder (or file) holds, by file name (`<vendor>.yaml`, which load checks). */
async function vendorFileNames(policies: string): Promise<string[]> {
  const isFolder = await stat(policies).then((s) => s.isDirectory(), () => false);
  const names = isFolder ? await readdir(policies).catch(() => []) : [path.basename(policies)];
  return names.filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml')).map((n) => n.slice(0, -'.yaml'.length));
}

/** Vendors the configuration names (file or environment) that no policy defines: serve refuses those. */
function unknownVendors(config: GatewayConfig, vendors: readonly string[], fileName: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const known = [...vendors].sort();
  const errors: string[] = [];
  for (const vendor of Object.keys(config.vendors)) {
    if (known.includes(vendor)) continue;
    const upper = vendor.toUpperCase().replace(/-/g, '_');
    const from = [`TELEGATE_LEVEL_${upper}`, `TELEGATE_UPSTREAM_${upper}`].filter((name) => env[name] !== undefined);
    const where = from.length > 0 ? `${from.join(', ')}: ` : fileName === undefined ? '' : `${fileName}: `;
    const near = closestName(vendor, known);
    errors.push(`${where}vendors.${vendor}: no policy for this vendor in ${config.policies} (it has: ${known.join(', ') || 'none'})${near ? `; did you mean ${near}?` : ''}`);
  }
  return errors;
}

/**
 * A folder serve makes 0700 (or creates): it must be a folder its user owns and may write; one that does
 * not exist yet must be creatable, below a folder (not a file) this user may write.
 */
async function folderProblem(dir: string): Promise<{ error?: string; note?: string } | undefined> {
  let st: Stats;
  try {
    st = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return { error: `${dir} cannot be a folder: a part of its path is a file` };
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { error: `${dir} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
    const parent = await nearestExisting(path.dirname(path.resolve(dir)));
    if (!parent.stats.isDirectory()) return { error: `${dir} cannot be created: ${parent.path} is a file, not a folder` };
    try {
      await access(parent.path, constants.W_OK | constants.X_OK);
    } catch {
      return { error: `${dir} cannot be created: ${parent.path} is not writable by this user` };
    }
    return { note: `${dir} does not exist yet: serve would create it (mode 0700)` };
  }
  if (!st.isDirectory()) return { error: `${dir} is not a folder` };
  const uid = process.getuid?.();
  // The writer makes the folder 0700, which only its owner (or root) can do.
  if (uid !== undefined && uid !== 0 && st.uid !== uid) return { error: `${dir} belongs to uid ${st.uid}: serve (uid ${uid}) could not keep it 0700` };
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch {
    return { error: `${dir} is not writable by this user` };
  }
  return undefined;
}

/** The closest existing path at or above `dir` (the root always exists). */
async function nearestExisting(dir: string): Promise<{ path: string; stats: Stats }> {
  for (let at = dir; ; at = path.dirname(at)) {
    const stats = await stat(at).catch(() => undefined);
    if (stats) return { path: at, stats };
    if (path.dirname(at) === at) throw new Error(`no part of ${dir} exists`);
  }
}

function summary(report: SetupReport): string {
  const { config } = report;
  const source = report.fileName === undefined ? 'built-in defaults and the environment' : `${report.fileName} and the environment`;
  const lines = [`config validate: ok (${source})`];
  const policies = report.policySet === undefined ? [] : [...report.policySet.policies.values()].sort((a, b) => a.vendor.localeCompare(b.vendor));
  lines.push(`  policies  ${config.policies}: ${policies.map((p) => {
    const v = vendorSettings(config, p.vendor);
    return `${p.vendor} level ${v.level}${v.shadow_level === undefined ? '' : ` (shadow level ${v.shadow_level})`} ${p.digest}`;
  }).join('; ')}`);
  const listeners = config.listen.map((l) => `${l.host}:${l.port}${l.tls ? ' (TLS)' : ''}`).join(', ');
  lines.push(`  listen    ${listeners}; admin ${config.admin.host}:${config.admin.port}${config.admin.token === undefined ? '' : ' (token set)'}`);
  lines.push(`  audit     ${config.audit.dir}${config.audit.replica === undefined ? '' : `, replica ${config.audit.replica}`}`);
  const keySource = { env: 'TELEGATE_HASH_KEY', key_file: `hash.key_file ${config.hash.key_file ?? ''}`, data_dir: `${path.join(config.data_dir, 'hash.key')}`, generated: 'generated' } as const;
  lines.push(`  hash key  ${report.hashKey === undefined ? 'none yet (see the note)' : keySource[report.hashKey]}`);
  return `${lines.join('\n')}\n`;
}

export async function runConfigValidate(options: ConfigOption, io: CliIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const report = await validateSetup(options, env);
  for (const note of report.notes) io.stderr(`config validate: note: ${note}\n`);
  if (report.errors.length === 0) {
    io.stdout(summary(report));
    return EXIT_OK;
  }
  for (const error of report.errors) io.stdout(`${error}\n`);
  const n = report.errors.length;
  io.stderr(`config validate: ${n} problem${n === 1 ? '' : 's'}; telegate serve would refuse to start\n`);
  return EXIT_CHECK_FAILED;
}
