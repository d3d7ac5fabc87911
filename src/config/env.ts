/**
 * Environment overrides (SPEC §4). Each variable is checked on its own and a bad one is an error naming
 * the variable. An empty value is an error too, not "unset": `TELEGATE_LEVEL=` in a compose file was
 * meant to say something, and guessing could send more than intended. Messages never repeat a value.
 *
 * TELEGATE_HASH_KEY is deliberately absent: the hash-key loader reads it, so the key never sits in the
 * configuration object that other code may log or pass around.
 */
import type { Level } from '../policy/types';
import { MAX_WORKERS, REPLICA_NAME, REPLICA_NAME_RULE } from './schema';
import { upstreamUrlProblem } from './upstream-url';
import { LOG_LEVELS, type LogLevel } from './types';

export interface EnvOverrides {
  configFile?: string;
  listenPort?: number;
  adminPort?: number;
  adminToken?: string;
  /** TELEGATE_LEVEL: every vendor, also those known only from their policy file. */
  level?: Level;
  /** TELEGATE_LEVEL_<VENDOR>, by lower-case vendor name; beats TELEGATE_LEVEL. */
  vendorLevels: Map<string, Level>;
  /** TELEGATE_UPSTREAM_<VENDOR>, by lower-case vendor name. */
  vendorUpstreams: Map<string, string>;
  auditDir?: string;
  /** TELEGATE_AUDIT_REPLICA: one configuration file (a ConfigMap) for all replicas, each naming its own chain. */
  auditReplica?: string;
  /** TELEGATE_CHECKPOINT_KEY_FILE: the checkpoint signing key's file (a mounted secret). */
  checkpointKeyFile?: string;
  policies?: string;
  dataDir?: string;
  logLevel?: LogLevel;
  workers?: number;
}

/** On errors, `partial` holds the variables that were good, so the rest of a configuration can still be checked. */
export type EnvResult = { ok: true; value: EnvOverrides } | { ok: false; errors: string[]; partial: EnvOverrides };

const LEVEL_PREFIX = 'TELEGATE_LEVEL_';
const UPSTREAM_PREFIX = 'TELEGATE_UPSTREAM_';
/** Vendor names are `[a-z][a-z0-9-]*`; a variable name cannot hold `-`, so it is written `_`. */
const VENDOR_SUFFIX = /^[A-Z][A-Z0-9_]*$/;

export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvResult {
  const errors: string[] = [];
  const out: EnvOverrides = { vendorLevels: new Map(), vendorUpstreams: new Map() };

  const text = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined) return undefined;
    if (value === '') {
      errors.push(`${name}: is set but empty`);
      return undefined;
    }
    return value;
  };
  const port = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
    if (!(n <= 65535)) {
      errors.push(`${name}: must be a port number, 0 to 65535`);
      return undefined;
    }
    return n;
  };
  const level = (name: string): Level | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (value !== '0' && value !== '1' && value !== '2') {
      errors.push(`${name}: must be 0, 1 or 2`);
      return undefined;
    }
    return Number(value) as Level;
  };
  const set = <K extends keyof EnvOverrides>(key: K, value: EnvOverrides[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };

  set('configFile', text('TELEGATE_CONFIG'));
  set('listenPort', port('TELEGATE_PORT'));
  set('adminPort', port('TELEGATE_ADMIN_PORT'));
  set('adminToken', text('TELEGATE_ADMIN_TOKEN'));
  set('level', level('TELEGATE_LEVEL'));
  set('auditDir', text('TELEGATE_AUDIT_DIR'));
  const replica = text('TELEGATE_AUDIT_REPLICA');
  if (replica !== undefined) {
    if (new RegExp(REPLICA_NAME).test(replica)) out.auditReplica = replica;
    else errors.push(`TELEGATE_AUDIT_REPLICA: ${REPLICA_NAME_RULE}`);
  }
  set('checkpointKeyFile', text('TELEGATE_CHECKPOINT_KEY_FILE'));
  set('policies', text('TELEGATE_POLICIES'));
  set('dataDir', text('TELEGATE_DATA_DIR'));
  const log = text('TELEGATE_LOG_LEVEL');
  if (log !== undefined) {
    const known = LOG_LEVELS.find((l) => l === log);
    if (known === undefined) errors.push(`TELEGATE_LOG_LEVEL: must be ${LOG_LEVELS.join(', ')}`);
    else out.logLevel = known;
  }

  const workers = text('TELEGATE_WORKERS');
  if (workers !== undefined) {
    const n = /^\d{1,2}$/.test(workers) ? Number(workers) : NaN;
    if (n >= 1 && n <= MAX_WORKERS) out.workers = n;
    else errors.push(`TELEGATE_WORKERS: must be a whole number of processes, 1 to ${MAX_WORKERS}`);
  }

  // Sorted, so the errors come in the same order on every start.
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith(LEVEL_PREFIX)) {
      const vendor = vendorOf(name, LEVEL_PREFIX, errors);
      const value = level(name);
      if (vendor !== undefined && value !== undefined) out.vendorLevels.set(vendor, value);
    } else if (name.startsWith(UPSTREAM_PREFIX)) {
      const vendor = vendorOf(name, UPSTREAM_PREFIX, errors);
      const value = text(name);
      if (value === undefined) continue;
      const problem = upstreamUrlProblem(value);
      if (problem !== undefined) errors.push(`${name}: ${problem}`);
      else if (vendor !== undefined) out.vendorUpstreams.set(vendor, value);
    }
  }
  return errors.length ? { ok: false, errors, partial: out } : { ok: true, value: out };
}

function vendorOf(name: string, prefix: string, errors: string[]): string | undefined {
  const suffix = name.slice(prefix.length);
  if (!VENDOR_SUFFIX.test(suffix)) {
    errors.push(`${name}: write the vendor name in upper case with "_" for "-", e.g. ${prefix}CODER`);
    return undefined;
  }
  return suffix.toLowerCase().replace(/_/g, '-');
}
