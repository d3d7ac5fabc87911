/** The gateway configuration (SPEC §4): what `telegate serve` uses from this folder. */
export type { AdminConfig, AuditConfig, CheckpointConfig, GatewayConfig, LimitsConfig, ListenConfig, LogLevel, VendorConfig } from './types';
export { LOG_LEVELS } from './types';
export type { ConfigFile } from './schema';
export { configFileSchema } from './schema';
export { defaultConfig, vendorSettings } from './defaults';
export { readEnvOverrides, type EnvOverrides, type EnvResult } from './env';
export { inspectConfig, loadConfig, type ConfigInspection, type LoadConfigOptions, type LoadConfigResult } from './load';
export { isLoopbackHost } from './loopback';
export { redactedConfig, REDACTED } from './redact';
export { workerReplicaId } from './worker-replica';
export { listenKey, tlsFilesProblem, tlsMaterialProblem, type TlsProblem } from './tls-files';
