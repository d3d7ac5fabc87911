/** The gateway's configuration after defaults, the file and environment overrides (SPEC §4). */
import type { Level } from '../policy/types';

/** pino's levels; `silent` turns telegate's own log off. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ListenConfig { host: string; port: number; tls?: { cert: string; key: string } }

export interface AdminConfig {
  host: string;
  port: number;
  /** Bearer token for state-changing and audit-reading admin requests. A secret: never log it (see redactedConfig). */
  token?: string;
}

/** A level computed beside the enforced one, for its differences only (nothing of it is sent). */
export type ShadowLevel = 1 | 2;

/**
 * The enforced level of one vendor, an upstream URL that replaces the policy's, and the shadow level: what
 * that level would have sent differently is recorded in each egress record (`shadow`), never sent.
 */
export interface VendorConfig { level: Level; upstream?: string; shadow_level?: ShadowLevel }

export interface AuditConfig { dir: string; replica?: string; max_file_bytes: number; fsync: boolean; checkpoint: CheckpointConfig }

/** Signed checkpoints of each chain (SPEC §6.1). */
export interface CheckpointConfig {
  /** The origin prefix: origin lines read `<origin>/<chain name>`, and the signing key is named `<origin>`. */
  origin: string;
  /** Seconds between checkpoints while records are added (one is also written at every stop). */
  interval_s: number;
  /** Where each new checkpoint is POSTed (text/plain); null: none. */
  witness_url: string | null;
  /** PKCS#8 PEM Ed25519 private key (TELEGATE_CHECKPOINT_KEY_FILE); null: no checkpoints. */
  key_file: string | null;
}

export interface LimitsConfig {
  body_bytes: number;
  inflated_bytes: number;
  /**
   * A body may decode to more than INFLATE_FREE_BYTES (1 MiB) only within this multiple of its size as
   * received: real gzip telemetry decodes to 3-80× (a 49 MB Coder snapshot ~40×), a bomb to 1,000×.
   */
  inflate_ratio: number;
  /**
   * Bytes of bodies (as received, then as decoded) being judged at once (judge-budget.ts). Judging holds
   * several times a body's size at its peak: the default, 128 MiB, keeps a 1 GiB pod (deploy/) clear.
   */
  judge_budget_bytes: number;
  /** How long a body that does not fit the budget waits for it before `503 over-budget` with Retry-After. */
  judge_wait_ms: number;
  /**
   * A body of at least this many decoded bytes is judged on a worker thread (judge-pool.ts), so the
   * event loop keeps answering; smaller ones on the event loop, where a thread hand-off costs more.
   */
  judge_thread_bytes: number;
  depth: number;
  /**
   * Most JSON values (strings, numbers, objects, arrays; keys count) one body may hold. A parsed tree
   * costs far more memory than its text (~150 bytes a value), so a small gzip of tiny objects within
   * inflated_bytes could still exhaust the heap; a 5,000-user Coder snapshot holds ~2.8 million.
   */
  values: number;
  /** Most instance connections open at once on the egress listener; more are closed on arrival, so
   * clients that open sockets and idle cannot exhaust the process's file descriptors. */
  connections: number;
  /**
   * Most of those connections one peer address may hold at once (connection-limits.ts), so one client
   * cannot take the whole `connections` budget. Behind a NAT or a load balancer many instances share one
   * address: raise it there (or set it to `connections`).
   */
  connections_per_client: number;
  /**
   * A request body must arrive within this many ms from its head, extended by one second for every
   * `body_min_rate` bytes received (body-deadline.ts): a client trickling a byte now and then is refused
   * (408) and closed, while a large body on a slow link keeps going. Node's request timeout (120 s) still
   * caps the whole request.
   */
  body_timeout_ms: number;
  /** Bytes a second that earn a body one more second (see body_timeout_ms). */
  body_min_rate: number;
  /**
   * A response the client does not take any byte of for this many ms ends its connection (a client that
   * stopped reading would otherwise hold it and its slot forever). Also the longest a connection may sit
   * with nothing read or written while no request is in flight.
   */
  write_timeout_ms: number;
}

/** Every path is absolute: resolved against the working directory telegate was started in. */
export interface GatewayConfig {
  /**
   * The telemetry listeners, at least one: `listen` as a mapping gives one, as a list several (plain HTTP
   * and TLS side by side), all served by the same process (and by every worker) with the same framing
   * rules, limits and loop guard. TELEGATE_PORT sets the first plain listener's port.
   */
  listen: ListenConfig[];
  admin: AdminConfig;
  policies: string;
  data_dir: string;
  /** Vendors the file or the environment names. A vendor known only from its policy file gets `defaultLevel`. */
  vendors: Record<string, VendorConfig>;
  /** The level of a vendor that `vendors` does not name: 1, or TELEGATE_LEVEL. Use vendorSettings(). */
  defaultLevel: Level;
  audit: AuditConfig;
  hash: { key_file: string | null };
  limits: LimitsConfig;
  upstream: { timeout_ms: number };
  log: { level: LogLevel };
  /**
   * Processes that serve the egress port (node:cluster). 1: one process, as before. More: a supervising
   * process keeps the admin port and the policy watcher, and each worker judges requests and writes an
   * audit chain of its own (replica `<audit.replica>-w<n>`, or `w<n>`), since one chain cannot be
   * appended by two processes without a lock on every record.
   */
  workers: number;
}
