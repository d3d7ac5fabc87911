/** The gateway's configuration after defaults and environment overrides (SPEC §4). */
import type { Level } from '../policy/types';

export interface ListenConfig { host: string; port: number; tls?: { cert: string; key: string } }

export interface VendorConfig { level: Level; upstream?: string }

export interface GatewayConfig {
  listen: ListenConfig;
  admin: { host: string; port: number; token?: string };
  policies: string;
  data_dir: string;
  vendors: Record<string, VendorConfig>;
  audit: { dir: string; replica?: string; max_file_bytes: number; fsync: boolean };
  hash: { key_file: string | null };
  limits: { body_bytes: number; inflated_bytes: number; depth: number };
  upstream: { timeout_ms: number };
  log: { level: string };
}
