/**
 * The pseudonymization key (SPEC §3): `TELEGATE_HASH_KEY`, else the file named by `hash.key_file`,
 * else `<data_dir>/hash.key`, generated once on first start.
 *
 * The key is the text's UTF-8 bytes, without a final line break: the same secret gives the same
 * pseudonyms whether it sits in the variable, in a mounted Secret file written by `openssl rand -hex 32
 * > key`, or in the generated file (64 hex digits and a newline), which can be copied into either.
 *
 * A generated key is created complete or not at all: written to a private temporary file, synced, then
 * linked to its name, which fails if another replica got there first; then the winner's key is read, so
 * replicas sharing a data folder share the key. No message here ever holds key material.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MIN_KEY_BYTES } from './pseudonymize';

export interface HashKeyOptions {
  env?: NodeJS.ProcessEnv;
  /** `hash.key_file` of the configuration. */
  keyFile?: string | null;
  /** `data_dir`: where a key is generated when none is given. */
  dataDir: string;
  /** Told when a key was generated or a key file is readable by others. */
  warn?: (message: string) => void;
}

export type HashKeySource = 'env' | 'key_file' | 'data_dir' | 'generated';

export interface HashKey {
  key: Buffer;
  source: HashKeySource;
  /** The file the key came from, when it came from one. */
  file?: string;
}

export class HashKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HashKeyError';
  }
}

export const GENERATED_KEY_FILE = 'hash.key';
const GENERATED_KEY_BYTES = 32;

export async function loadHashKey(options: HashKeyOptions): Promise<HashKey> {
  const existing = await readHashKey(options);
  if (existing) return existing;
  const warn = options.warn ?? (() => undefined);
  const file = path.join(options.dataDir, GENERATED_KEY_FILE);
  const created = await generateKeyFile(options.dataDir, file);
  const key = await readKeyFile(file, 'generated key', warn);
  if (created) {
    warn(`no hash key configured: generated a new one in ${file} (mode 0600); back it up, or pseudonyms change if it is lost, ` +
      'and give every replica the same key (TELEGATE_HASH_KEY or hash.key_file)');
  }
  return { key, source: created ? 'generated' : 'data_dir', file };
}

/**
 * The key the gateway would use, without ever generating one: undefined when there is none yet. For
 * read-only commands (`policy explain`, `config validate`), which must not leave a key behind.
 */
export async function readHashKey(options: HashKeyOptions): Promise<HashKey | undefined> {
  const env = options.env ?? process.env;
  const warn = options.warn ?? (() => undefined);
  const fromEnv = env['TELEGATE_HASH_KEY'];
  if (fromEnv === '') {
    // Set but empty is a deployment mistake (`TELEGATE_HASH_KEY=${KEY}` with KEY unset): generating a key
    // per replica instead would silently break vendor-side joins.
    throw new HashKeyError('TELEGATE_HASH_KEY: is set but empty; unset it to use hash.key_file or the generated key');
  }
  if (fromEnv !== undefined) {
    return { key: checked(keyBytes(fromEnv), 'TELEGATE_HASH_KEY'), source: 'env' };
  }
  if (options.keyFile) {
    return { key: await readKeyFile(options.keyFile, 'hash.key_file', warn), source: 'key_file', file: options.keyFile };
  }
  const file = path.join(options.dataDir, GENERATED_KEY_FILE);
  const existing = await readKeyFile(file, 'generated key', warn).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  return existing ? { key: existing, source: 'data_dir', file } : undefined;
}

function keyBytes(text: string): Buffer {
  return Buffer.from(text.replace(/\r?\n$/, ''), 'utf8');
}

function checked(key: Buffer, where: string): Buffer {
  if (key.length < MIN_KEY_BYTES) {
    throw new HashKeyError(`${where}: the hash key is ${key.length} bytes long; at least ${MIN_KEY_BYTES} are required ` +
      '(e.g. `openssl rand -hex 32`)');
  }
  return key;
}

async function readKeyFile(file: string, what: string, warn: (message: string) => void): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error) && what === 'generated key') throw error;
    throw new HashKeyError(`${what} ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(`${what} ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it should be 0600`);
  }
  return checked(keyBytes(text), `${what} ${file}`);
}

/** true if this call created the file; false if another process created it meanwhile. */
async function generateKeyFile(dataDir: string, file: string): Promise<boolean> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temporary = path.join(dataDir, `.${GENERATED_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${randomBytes(GENERATED_KEY_BYTES).toString('hex')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temporary, 0o600); // a umask cannot widen it, but a permissive ACL default could have
    await link(temporary, file);
    await syncDir(dataDir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new HashKeyError(`cannot create ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** No such file, or a part of its path is a file (then there is none either: data_dir is checked where it is made). */
function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
