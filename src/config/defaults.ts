/**
 * The built-in configuration (SPEC §4): what runs with no file and no environment overrides.
 * Paths are relative here; loadConfig resolves them against the working directory.
 */
import type { GatewayConfig, VendorConfig } from './types';

const MIB = 1024 * 1024;

/** A fresh copy each call, so no caller can change the defaults another one sees. */
export function defaultConfig(): GatewayConfig {
  return {
    listen: [{ host: '0.0.0.0', port: 8080 }],
    admin: { host: '127.0.0.1', port: 9090 },
    policies: './policies',
    data_dir: './data',
    // Empty: the gateway serves every vendor that has a policy file, at defaultLevel.
    vendors: {},
    defaultLevel: 1,
    audit: {
      dir: './audit', max_file_bytes: 256 * MIB, fsync: true,
      checkpoint: { origin: 'telegate', interval_s: 60, witness_url: null, key_file: null },
    },
    hash: { key_file: null },
    // A 5,000-user Coder snapshot is ~50 MB.
    limits: {
      body_bytes: 64 * MIB, inflated_bytes: 256 * MIB, inflate_ratio: 100,
      judge_budget_bytes: 128 * MIB, judge_wait_ms: 10_000, judge_thread_bytes: 256 * 1024,
      depth: 128, values: 5_000_000, connections: 1024,
      // One peer gets a sixteenth of the connections; a body gets 10 s plus 1 s for every 4 KiB; a reader
      // that takes no byte of a response for 30 s is cut off.
      connections_per_client: 64, body_timeout_ms: 10_000, body_min_rate: 4096, write_timeout_ms: 30_000,
    },
    upstream: { timeout_ms: 30_000 },
    workers: 1,
    log: { level: 'info' },
  };
}

/**
 * The level and upstream override of one vendor: its entry in `vendors`, else `defaultLevel` and the
 * policy's own upstream. The gateway asks this for every vendor it has a policy file for.
 */
export function vendorSettings(config: GatewayConfig, vendor: string): VendorConfig {
  // Own-property lookup: a vendor named like an Object.prototype member must not find one.
  const entry = Object.hasOwn(config.vendors, vendor) ? config.vendors[vendor] : undefined;
  return entry ?? { level: config.defaultLevel };
}
