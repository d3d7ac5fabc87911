/**
 * Where `policy explain` takes its policies, hash key and parse limits from: the flags, else the
 * configuration the gateway reads (`--config`, TELEGATE_CONFIG, the TELEGATE_* environment, the built-in
 * defaults; SPEC §4, §7).
 *
 * Pseudonyms depend on the key. With the gateway's key (TELEGATE_HASH_KEY, hash.key_file, or a key already
 * generated into data_dir), explain hashes as the gateway does, so its output is what the vendor would
 * receive; without one, a random key for this run only (a read-only command never generates a key into a
 * data folder), and the caller says so.
 */
import { randomBytes } from 'node:crypto';
import { HashKeyError, readHashKey } from '../policy/hash-key';
import { cliConfig, type ConfigOption } from './cli-config';
import type { CliIO } from './io';

export type ExplainKey = { kind: 'configured'; bytes: Buffer } | { kind: 'ephemeral'; bytes: Buffer };

export interface ExplainContext {
  policyPaths: string[];
  key: ExplainKey;
  /** The gateway refuses bodies nested deeper or with more values (limits.depth, limits.values); explain too. */
  maxDepth: number;
  maxValues: number;
}

export interface ExplainContextOptions extends ConfigOption { policies?: string }

export type ExplainContextResult =
  | { ok: true; value: ExplainContext }
  /** `reported`: the configuration's errors are on stderr already. */
  | { ok: false; message?: string };

const EPHEMERAL_KEY_BYTES = 32;

export async function resolveExplainContext(
  options: ExplainContextOptions, io: CliIO, env: NodeJS.ProcessEnv = process.env,
): Promise<ExplainContextResult> {
  const config = await cliConfig('policy explain', options, io, env);
  if (!config.ok) return { ok: false };
  const c = config.value;
  let key: ExplainKey;
  try {
    const found = await readHashKey({ env, keyFile: c.hash.key_file, dataDir: c.data_dir });
    key = found ? { kind: 'configured', bytes: found.key } : { kind: 'ephemeral', bytes: randomBytes(EPHEMERAL_KEY_BYTES) };
  } catch (error) {
    return { ok: false, message: error instanceof HashKeyError ? error.message : String(error) };
  }
  return {
    ok: true,
    value: { policyPaths: [options.policies ?? c.policies], key, maxDepth: c.limits.depth, maxValues: c.limits.values },
  };
}
