/**
 * Where `policy explain` takes its policies, hash key and depth limit from: the flags, else the
 * environment the gateway also reads (SPEC §4), else the built-in defaults.
 *
 * Pseudonyms depend on the key. With TELEGATE_HASH_KEY, explain hashes as the gateway does, so its output
 * is what the vendor would receive; without it, a random key for this run only (a read-only command never
 * generates a key into a data folder), and the caller says so.
 *
 * A key already generated into the data folder (TELEGATE_DATA_DIR, else ./data) is used too, read-only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_KEY_FILE, HashKeyError, loadHashKey } from '../policy/hash-key';

export type ExplainKey = { kind: 'configured'; bytes: Buffer } | { kind: 'ephemeral'; bytes: Buffer };

export interface ExplainContext {
  policyPaths: string[];
  key: ExplainKey;
  /** The gateway refuses bodies nested deeper (limits.depth); explain does the same. */
  maxDepth: number;
}

export interface ExplainContextOptions { policies?: string }

export type ExplainContextResult = { ok: true; value: ExplainContext } | { ok: false; message: string };

const DEFAULT_POLICIES = 'policies';
const DEFAULT_DEPTH = 128;
const DEFAULT_DATA_DIR = 'data';
const EPHEMERAL_KEY_BYTES = 32;

export async function resolveExplainContext(
  options: ExplainContextOptions, env: NodeJS.ProcessEnv = process.env,
): Promise<ExplainContextResult> {
  const policies = options.policies ?? (env['TELEGATE_POLICIES'] || DEFAULT_POLICIES);
  let key: ExplainKey;
  try {
    key = await configuredKey(env);
  } catch (error) {
    return { ok: false, message: error instanceof HashKeyError ? error.message : String(error) };
  }
  return { ok: true, value: { policyPaths: [policies], key, maxDepth: DEFAULT_DEPTH } };
}

/** The gateway's key when this machine has one (variable, or a key already generated in the data folder). */
async function configuredKey(env: NodeJS.ProcessEnv): Promise<ExplainKey> {
  const fromEnv = env['TELEGATE_HASH_KEY'];
  const dataDir = env['TELEGATE_DATA_DIR'] || DEFAULT_DATA_DIR;
  const generated = path.join(dataDir, GENERATED_KEY_FILE);
  if ((fromEnv !== undefined && fromEnv !== '') || existsSync(generated)) {
    // loadHashKey never generates when the file exists; with neither, we never call it.
    const { key } = await loadHashKey({ env, dataDir });
    return { kind: 'configured', bytes: key };
  }
  return { kind: 'ephemeral', bytes: randomBytes(EPHEMERAL_KEY_BYTES) };
}
