/**
 * Checks the schema cannot make: the TLS files can be read now (rather than failing at the first
 * connection), vendor upstream URLs parse, and no two ports (listeners, admin) collide. They run on the
 * merged configuration; `fileLabel` prefixes the keys only the file can set.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { upstreamUrlProblem } from './upstream-url';
import { workerReplicaId } from './worker-replica';
import { MIN_ADMIN_TOKEN_CHARS, type ConfigFile } from './schema';
import type { GatewayConfig } from './types';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

export async function semanticErrors(
  config: GatewayConfig, file: ConfigFile, fileLabel: string | undefined, options: { checkpointKeyToCreate?: boolean } = {},
): Promise<string[]> {
  const errors: string[] = [];
  const inFile = (key: string, message: string): string => `${fileLabel === undefined ? '' : `${fileLabel}: `}${key}: ${message}`;

  // `listen` as the file wrote it: `listen.tls.cert` for a mapping, `listen.1.tls.cert` for a list.
  const listenKey = (i: number): string => (Array.isArray(file.listen) ? `listen.${i}` : 'listen');
  for (const [i, listener] of config.listen.entries()) {
    const tls = listener.tls;
    if (!tls) continue;
    for (const [key, filePath] of [[`${listenKey(i)}.tls.cert`, tls.cert], [`${listenKey(i)}.tls.key`, tls.key]] as const) {
      const problem = await unreadable(filePath);
      if (problem !== undefined) errors.push(inFile(key, `cannot read ${filePath}: ${problem}`));
    }
  }

  const keyFile = config.audit.checkpoint.key_file;
  const keyProblem = keyFile === null ? undefined : await unreadable(keyFile);
  // A key about to be made (audit keygen) need not exist yet; one that exists but cannot be read is still named.
  const toBeMade = options.checkpointKeyToCreate === true && keyProblem === 'no such file';
  if (keyProblem !== undefined && !toBeMade) errors.push(`audit.checkpoint.key_file: cannot read ${keyFile}: ${keyProblem}`);

  // Only the file's upstreams: TELEGATE_UPSTREAM_<VENDOR> was checked when the environment was read.
  for (const [vendor, entry] of Object.entries(file.vendors ?? {})) {
    const problem = entry.upstream === undefined ? undefined : upstreamUrlProblem(entry.upstream);
    if (problem !== undefined) errors.push(inFile(`vendors.${vendor}.upstream`, problem));
  }

  // Each worker's chain is named `<replica>-w<n>`, and a chain name holds at most 64 characters.
  const replica = config.audit.replica;
  if (config.workers > 1 && replica !== undefined && workerReplicaId(replica, config.workers).length > 64) {
    errors.push(`audit.replica: with ${config.workers} workers the chains are named ${workerReplicaId(replica, config.workers)} and alike, longer than 64 characters; use a shorter replica name`);
  }

  // A short token can be guessed through the login form, which has no attempt limit (docs/console.md).
  const token = config.admin.token;
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_CHARS) {
    const where = token === file.admin?.token ? inFile('admin.token', '') : 'TELEGATE_ADMIN_TOKEN: ';
    errors.push(`${where}is ${token.length} characters long; an admin token must have at least ${MIN_ADMIN_TOKEN_CHARS} (e.g. openssl rand -hex 32)`);
  }

  for (const [vendor, entry] of Object.entries(file.vendors ?? {})) {
    if (entry.shadow_level !== undefined && entry.shadow_level === entry.level) {
      errors.push(inFile(`vendors.${vendor}.shadow_level`, `is the vendor's level itself (${entry.level}): a shadow level is the other level, whose differences are recorded`));
    }
  }

  const { listen, admin } = config;
  for (const [i, listener] of listen.entries()) {
    if (listener.port !== 0 && listener.port === admin.port && sameAddress(listener.host, admin.host)) {
      errors.push(`admin.port: ${admin.port} is also ${listenKey(i)}.port; the admin port must be a port of its own`);
    }
    for (let j = 0; j < i; j++) {
      const earlier = listen[j]!;
      if (!sameAddress(listener.host, earlier.host) || listener.port !== earlier.port) continue;
      if (listener.port !== 0) {
        // No file prefix: TELEGATE_PORT may be what made them equal, as with admin.port below.
        errors.push(`${listenKey(i)}.port: ${listener.port} is also ${listenKey(j)}.port; each listener needs a port of its own`);
      } else if (config.workers > 1) {
        // node:cluster shares one socket per address and port among the workers: two listeners on port 0
        // of one address would be handed the same socket.
        errors.push(`${listenKey(i)}.port: 0 is also ${listenKey(j)}.port on that address; with workers > 1 give each listener a port of its own`);
      }
    }
  }
  return errors;
}

/** Two listen addresses that can take the same connections: equal, or either of them a wildcard. */
function sameAddress(a: string, b: string): boolean {
  return a === b || WILDCARD_HOSTS.has(a) || WILDCARD_HOSTS.has(b);
}

async function unreadable(filePath: string): Promise<string | undefined> {
  try {
    const s = await stat(filePath);
    if (!s.isFile()) return 'not a file';
    await access(filePath, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    return code ?? 'cannot be read';
  }
}
