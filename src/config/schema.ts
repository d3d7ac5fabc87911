/**
 * The JSON Schema of the configuration file. Every key is optional (a missing key keeps its default) and
 * every mapping is closed (`additionalProperties: false`), so a misspelt key stops the start naming it
 * instead of silently leaving a default in force. `description` on a pattern is the message shown when
 * the value does not match it (see schema-errors.ts).
 */
import { constants } from 'node:buffer';
import type { Level } from '../policy/types';
import type { ShadowLevel } from './types';
import { LOG_LEVELS, type LogLevel } from './types';

/** What a configuration file may hold, once it passed the schema. */
/** One listener as the file writes it; in a list, `port` is required. */
export interface ListenEntry { host?: string; port?: number; tls?: { cert: string; key: string } }

export interface ConfigFile {
  /** One listener (a mapping, as before), or several (a list): one process serves them all. */
  listen?: ListenEntry | ListenEntry[];
  admin?: { host?: string; port?: number; token?: string };
  policies?: string;
  data_dir?: string;
  vendors?: Record<string, { level?: Level; upstream?: string; shadow_level?: ShadowLevel }>;
  audit?: {
    dir?: string; replica?: string; max_file_bytes?: number; fsync?: boolean;
    checkpoint?: { origin?: string; interval_s?: number; witness_url?: string | null; key_file?: string | null };
  };
  hash?: { key_file?: string | null };
  limits?: {
    body_bytes?: number; inflated_bytes?: number; inflate_ratio?: number; judge_budget_bytes?: number; judge_wait_ms?: number;
    judge_thread_bytes?: number; depth?: number; values?: number; connections?: number;
    connections_per_client?: number; body_timeout_ms?: number; body_min_rate?: number; write_timeout_ms?: number;
  };
  upstream?: { timeout_ms?: number };
  log?: { level?: LogLevel };
  workers?: number;
}

/** An admin token shorter than this is refused at start: it guards policy reloads and the audit log. */
export const MIN_ADMIN_TOKEN_CHARS = 16;

/** The same names a policy file may use for its vendor (src/policy/schema.ts). */
export const VENDOR_NAME = '^[a-z][a-z0-9-]*$';
export const VENDOR_NAME_RULE = 'is not a vendor name (lower-case letters, digits and "-", starting with a letter)';

/** A replica's name goes into audit file names, so it must be safe there. */
// Not `default`: that is the name of the chain without a replica id (its lock and its checkpoints).
export const REPLICA_NAME = '^(?!default$)[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const REPLICA_NAME_RULE = 'must be 1 to 64 letters, digits, "_" or "-", starting with a letter or digit, and not "default" (the name of the chain without a replica id)';

/** Processes serving the egress port; each writes its own audit chain, named after the replica. */
export const MAX_WORKERS = 64;

/**
 * A checkpoint origin prefix, which also names the signing key (c2sp.org/signed-note: no spaces, no '+'):
 * a schema-less URL such as `telegate` or `audit.example.com/telegate`.
 */
export const CHECKPOINT_ORIGIN = '^[A-Za-z0-9](?:[A-Za-z0-9._~:@/-]{0,198}[A-Za-z0-9._~:@-])?$';
export const CHECKPOINT_ORIGIN_RULE = 'must be 1 to 200 letters, digits and "._~:@/-", starting with a letter or digit and not ending in "/" (e.g. audit.example.com/telegate)';

export const HTTP_URL = '^https?://';
export const HTTP_URL_RULE = 'must be an http:// or https:// URL';

const text = { type: 'string', minLength: 1 } as const;
const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const positive = { type: 'integer', minimum: 1 } as const;
/** Node's timers hold at most 2^31-1 ms; a larger delay fires at once. */
const timer = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
/** zlib and Buffer cannot hold more: a larger limit would make every compressed body fail as undecodable. */
const bufferSize = { type: 'integer', minimum: 1, maximum: constants.MAX_LENGTH } as const;

function closed(properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}

const listener = { host: text, port, tls: closed({ cert: text, key: text }, ['cert', 'key']) };

export const configFileSchema = closed({
  // A mapping (one listener, every key optional) or a list of them (each naming its port). schema-errors
  // reports one type message per key and leaves out ajv's "must match then/else" summary.
  listen: {
    type: ['object', 'array'],
    if: { type: 'array' },
    then: { type: 'array', minItems: 1, items: closed(listener, ['port']) },
    else: closed(listener),
  },
  admin: closed({ host: text, port, token: text }),
  policies: text,
  data_dir: text,
  vendors: {
    type: 'object',
    propertyNames: { pattern: VENDOR_NAME, description: VENDOR_NAME_RULE },
    additionalProperties: closed({
      level: { enum: [0, 1, 2] },
      upstream: { type: 'string', pattern: HTTP_URL, description: HTTP_URL_RULE },
      shadow_level: { enum: [1, 2] },
    }),
  },
  audit: closed({
    dir: text,
    replica: { type: 'string', pattern: REPLICA_NAME, description: REPLICA_NAME_RULE },
    max_file_bytes: positive,
    fsync: { type: 'boolean' },
    checkpoint: closed({
      origin: { type: 'string', pattern: CHECKPOINT_ORIGIN, description: CHECKPOINT_ORIGIN_RULE },
      interval_s: { type: 'integer', minimum: 1, maximum: 86_400 },
      witness_url: { type: ['string', 'null'], pattern: HTTP_URL, description: HTTP_URL_RULE },
      key_file: { type: ['string', 'null'], minLength: 1 },
    }),
  }),
  hash: closed({ key_file: { type: ['string', 'null'], minLength: 1 } }),
  limits: closed({
    body_bytes: bufferSize, inflated_bytes: bufferSize, inflate_ratio: positive, judge_budget_bytes: positive, judge_wait_ms: positive,
    judge_thread_bytes: positive, depth: positive, values: positive, connections: positive,
    connections_per_client: positive, body_timeout_ms: timer, body_min_rate: positive, write_timeout_ms: timer,
  }),
  upstream: closed({ timeout_ms: positive }),
  log: closed({ level: { enum: [...LOG_LEVELS] } }),
  workers: { type: 'integer', minimum: 1, maximum: MAX_WORKERS },
});
