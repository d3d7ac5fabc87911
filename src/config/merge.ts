/**
 * defaults <- file <- environment, then every path made absolute.
 *
 * Relative paths are resolved against the working directory telegate was started in, not against the
 * configuration file's folder: SPEC §4's `./policies`, `./data` and `./audit` mean "next to where
 * telegate runs" both when they are defaults and when a file repeats them, and one rule for both keeps
 * `telegate serve` and `telegate serve --config /etc/telegate.yaml` pointing at the same folders.
 */
import path from 'node:path';
import type { Level } from '../policy/types';
import type { EnvOverrides } from './env';
import type { ConfigFile } from './schema';
import type { GatewayConfig, ListenConfig, VendorConfig } from './types';

export function mergeConfig(defaults: GatewayConfig, file: ConfigFile, env: EnvOverrides, cwd: string): GatewayConfig {
  const resolve = (p: string): string => path.resolve(cwd, p);
  const listen = mergeListeners(defaults.listen[0]!, file.listen, resolve);
  const admin = { ...defaults.admin, ...file.admin };
  if (env.listenPort !== undefined) plainListener(listen).port = env.listenPort;
  if (env.adminPort !== undefined) admin.port = env.adminPort;
  if (env.adminToken !== undefined) admin.token = env.adminToken;

  const audit = { ...defaults.audit, ...file.audit, checkpoint: { ...defaults.audit.checkpoint, ...file.audit?.checkpoint } };
  if (env.auditDir !== undefined) audit.dir = env.auditDir;
  if (env.auditReplica !== undefined) audit.replica = env.auditReplica;
  if (env.checkpointKeyFile !== undefined) audit.checkpoint.key_file = env.checkpointKeyFile;

  const defaultLevel = env.level ?? defaults.defaultLevel;
  const keyFile = file.hash?.key_file ?? defaults.hash.key_file;

  const config: GatewayConfig = {
    listen,
    admin,
    policies: resolve(env.policies ?? file.policies ?? defaults.policies),
    data_dir: resolve(env.dataDir ?? file.data_dir ?? defaults.data_dir),
    vendors: mergeVendors(file, env, defaultLevel),
    defaultLevel,
    audit: {
      ...audit, dir: resolve(audit.dir),
      checkpoint: { ...audit.checkpoint, key_file: audit.checkpoint.key_file === null ? null : resolve(audit.checkpoint.key_file) },
    },
    hash: { key_file: keyFile === null ? null : resolve(keyFile) },
    limits: { ...defaults.limits, ...file.limits },
    upstream: { ...defaults.upstream, ...file.upstream },
    log: { level: env.logLevel ?? file.log?.level ?? defaults.log.level },
    workers: env.workers ?? file.workers ?? defaults.workers,
  };
  return config;
}

/** Each listener the file gives (one mapping, or a list) over the default listener, TLS paths resolved. */
function mergeListeners(base: ListenConfig, fromFile: ConfigFile['listen'], resolve: (p: string) => string): ListenConfig[] {
  const entries = fromFile === undefined ? [{}] : Array.isArray(fromFile) ? fromFile : [fromFile];
  return entries.map((entry) => {
    const merged: ListenConfig = { host: entry.host ?? base.host, port: entry.port ?? base.port };
    if (entry.tls) merged.tls = { cert: resolve(entry.tls.cert), key: resolve(entry.tls.key) };
    return merged;
  });
}

/** The listener TELEGATE_PORT sets: the first without TLS, or the first of all when every one has TLS. */
export function plainListener(listeners: ListenConfig[]): ListenConfig {
  return listeners.find((l) => l.tls === undefined) ?? listeners[0]!;
}

/**
 * A vendor's level: TELEGATE_LEVEL_<VENDOR>, else TELEGATE_LEVEL (it overrides every vendor, so that
 * TELEGATE_LEVEL=0 stops all egress whatever the file says), else the file's, else the default level.
 */
function mergeVendors(file: ConfigFile, env: EnvOverrides, defaultLevel: Level): Record<string, VendorConfig> {
  const inFile = file.vendors ?? {};
  const names = new Set([...Object.keys(inFile), ...env.vendorLevels.keys(), ...env.vendorUpstreams.keys()]);
  const vendors: Record<string, VendorConfig> = {};
  for (const name of [...names].sort()) {
    // Own keys only: a vendor named like an Object.prototype member must not find one.
    const fromFile = Object.hasOwn(inFile, name) ? inFile[name] : undefined;
    const entry: VendorConfig = {
      level: env.vendorLevels.get(name) ?? env.level ?? fromFile?.level ?? defaultLevel,
    };
    const upstream = env.vendorUpstreams.get(name) ?? fromFile?.upstream;
    if (upstream !== undefined) entry.upstream = upstream;
    if (fromFile?.shadow_level !== undefined) entry.shadow_level = fromFile.shadow_level;
    vendors[name] = entry;
  }
  return vendors;
}
