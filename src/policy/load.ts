/**
 * Loading policies: read -> YAML with positions -> JSON Schema -> semantic checks -> compile.
 * A file with any error yields no policy; a set with any error in any file is refused whole, so a reload
 * never half-applies.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compileRules } from './compile';
import { policyDigest } from './digest';
import { policyError, quoted, sortPolicyErrors } from './errors';
import { pointerOf } from './json-pointer';
import { checkPolicySchema, type PolicyDocument } from './schema';
import { schemaErrorsToPolicyErrors } from './schema-errors';
import type { Endpoint, Policy, PolicyError, PolicySet, PolicyWarning } from './types';
import { checkSemantics, type SemanticResult } from './validate';
import { parseYamlDocument } from './yaml-document';
import type { YamlLocator } from './yaml-positions';

export type LoadResult<T> = { ok: true; value: T } | { ok: false; errors: PolicyError[] };

interface LoadedFile { policy: Policy; locator: YamlLocator; warnings: PolicyWarning[] }

const AT_START = { line: 1, column: 1 };

async function loadFile(file: string): Promise<LoadResult<LoadedFile>> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    return { ok: false, errors: [ioError(file, err)] };
  }
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, errors: [policyError('encoding', { file, ...AT_START }, 'the file is not valid UTF-8')] };
  }
  const yaml = parseYamlDocument(source, file);
  if (!yaml.ok) return yaml;
  const schema = checkPolicySchema(yaml.value);
  const semantics = checkSemantics(yaml.value, yaml.locator, file);
  const errors = [...(schema.ok ? [] : schemaErrorsToPolicyErrors(schema.errors, yaml.locator, file)), ...semantics.errors];
  if (!schema.ok || errors.length > 0) return { ok: false, errors: sortPolicyErrors(errors) };
  const policy = buildPolicy(schema.value, semantics, file, policyDigest(bytes));
  return { ok: true, value: { policy, locator: yaml.locator, warnings: semantics.warnings } };
}

function buildPolicy(doc: PolicyDocument, semantics: SemanticResult, file: string, digest: Policy['digest']): Policy {
  const endpoints = new Map<string, Endpoint>();
  for (const [endpointPath, e] of Object.entries(doc.endpoints)) {
    const validated = semantics.rules.get(endpointPath) ?? [];
    endpoints.set(endpointPath, {
      path: endpointPath,
      method: e.method,
      localReply: {
        status: e.local_reply.status,
        body: e.local_reply.body ?? '',
        contentType: e.local_reply.content_type ?? 'text/plain',
      },
      limits: {
        ...(e.limits?.body_bytes === undefined ? {} : { bodyBytes: e.limits.body_bytes }),
        ...(e.limits?.inflated_bytes === undefined ? {} : { inflatedBytes: e.limits.inflated_bytes }),
        ...(e.limits?.values === undefined ? {} : { values: e.limits.values }),
        ...(e.limits?.depth === undefined ? {} : { depth: e.limits.depth }),
      },
      rules: validated.map((r) => r.source),
      compiled: compileRules(validated, semantics.detectors),
    });
  }
  return {
    vendor: doc.vendor,
    file,
    digest,
    upstream: doc.upstream,
    hosts: (doc.hosts ?? []).map((h) => h.toLowerCase()),
    headers: semantics.headers.map((h) => h.name),
    headerRules: semantics.headers,
    detectors: semantics.detectors,
    endpoints,
  };
}

function ioError(file: string, err: unknown): PolicyError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = code === 'ENOENT' ? 'no such file or folder' : code === 'EACCES' ? 'permission denied'
    : code === 'EISDIR' ? 'is a folder, not a file' : code ?? 'cannot be read';
  return policyError('io', { file, ...AT_START }, `cannot read the policy: ${why}`);
}

export async function loadPolicyFile(file: string): Promise<LoadResult<Policy>> {
  const loaded = await loadFile(file);
  return loaded.ok ? { ok: true, value: loaded.value.policy } : loaded;
}

/**
 * The policy files a set of paths names: a file as itself, a folder as its `*.yaml` files (not its
 * subfolders: `policies/tests/` holds fixtures, and `*.test.yaml` files are fixtures wherever they are).
 */
async function policyFiles(paths: readonly string[], errors: PolicyError[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = async (file: string): Promise<void> => {
    const real = await fs.realpath(file).catch(() => path.resolve(file));
    if (seen.has(real)) return;
    seen.add(real);
    files.push(file);
  };
  for (const p of paths) {
    let stat;
    try {
      stat = await fs.stat(p);
    } catch (err) {
      errors.push(ioError(p, err));
      continue;
    }
    if (!stat.isDirectory()) {
      await add(p);
      continue;
    }
    const names = (await fs.readdir(p)).filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml')).sort();
    let found = 0;
    for (const name of names) {
      const file = path.join(p, name);
      const isFile = await fs.stat(file).then((s) => s.isFile(), () => false);
      if (!isFile) continue;
      found++;
      await add(file);
    }
    if (found === 0) errors.push(policyError('no-policies', { file: p, ...AT_START }, 'the folder holds no policy (*.yaml) file'));
  }
  if (paths.length === 0) errors.push(policyError('no-policies', { file: '.', ...AT_START }, 'no policy file or folder given'));
  return files;
}

export async function loadPolicySet(paths: string[]): Promise<LoadResult<PolicySet>> {
  const errors: PolicyError[] = [];
  const files = await policyFiles(paths, errors);
  const loaded: LoadedFile[] = [];
  for (const result of await Promise.all(files.map(loadFile))) {
    if (result.ok) loaded.push(result.value); else errors.push(...result.errors);
  }
  errors.push(...crossFileErrors(loaded));
  if (errors.length > 0) return { ok: false, errors: sortPolicyErrors(errors) };
  const policies = new Map<string, Policy>();
  for (const { policy } of loaded) policies.set(policy.vendor, policy);
  const warnings = loaded.flatMap((l) => l.warnings).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
  return { ok: true, value: { policies, loadedAt: new Date(), warnings } };
}

/** One file per vendor, and one vendor per host name (routing by `Host` must be unambiguous). */
function crossFileErrors(loaded: readonly LoadedFile[]): PolicyError[] {
  const errors: PolicyError[] = [];
  const vendors = new Map<string, Policy>();
  const hosts = new Map<string, Policy>();
  for (const { policy, locator } of loaded) {
    const first = vendors.get(policy.vendor);
    if (first) {
      errors.push(policyError('duplicate-vendor', { file: policy.file, ...locator.value(pointerOf(['vendor'])) },
        `vendor ${quoted(policy.vendor)} is already defined by ${first.file}: one policy file per vendor`, 'vendor'));
      continue;
    }
    vendors.set(policy.vendor, policy);
    policy.hosts.forEach((host, i) => {
      const owner = hosts.get(host);
      if (owner && owner !== policy) {
        errors.push(policyError('duplicate-host', { file: policy.file, ...locator.value(pointerOf(['hosts', i])) },
          `host ${quoted(host)} is already claimed by vendor ${quoted(owner.vendor)} (${owner.file}): requests for it must route to one vendor`,
          host));
      } else {
        hosts.set(host, policy);
      }
    });
  }
  return errors;
}
