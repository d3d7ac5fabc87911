/**
 * Where checkpoints live: `<audit.dir>/checkpoints/` (mode 0700, files 0600, like the log), per chain:
 *
 *   <chain>               the latest signed checkpoint note (SPEC §6.1), byte for byte what was signed
 *   <chain>.tree.json     the writer's tree at that checkpoint (size, right edge, where the chain stood),
 *                         so a restart resumes the tree instead of re-reading the whole chain
 *   <chain>.witness.json  what the witness answered to the latest note posted to it
 *
 * Chain names never hold a dot (replica ids are letters, digits, '-' and '_'), so the three never clash.
 * Every file is replaced atomically: written to a temporary name, synced, renamed, the folder synced.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { nodeFileOps } from '../file-ops';

export const CHECKPOINTS_FOLDER = 'checkpoints';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** A note larger than this is not one telegate wrote (its notes are about 200 bytes). */
export const MAX_NOTE_BYTES = 64 * 1024;

export const checkpointsDir = (auditDir: string): string => path.join(auditDir, CHECKPOINTS_FOLDER);
export const notePath = (auditDir: string, chain: string): string => path.join(checkpointsDir(auditDir), chain);
export const treeStatePath = (auditDir: string, chain: string): string => path.join(checkpointsDir(auditDir), `${chain}.tree.json`);
export const witnessPath = (auditDir: string, chain: string): string => path.join(checkpointsDir(auditDir), `${chain}.witness.json`);

export async function prepareCheckpointsDir(auditDir: string): Promise<void> {
  await mkdir(checkpointsDir(auditDir), { recursive: true, mode: DIR_MODE });
}

/** Replaces `file` with `data` so that a reader, or a crash, sees the old content or the new, never a mix. */
export async function replaceFile(file: string, data: string | Buffer): Promise<void> {
  const dir = path.dirname(file);
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const handle = await open(temporary, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await nodeFileOps.fsyncDir(dir);
}

/** The file's bytes, or undefined when it does not exist; refuses files larger than `maxBytes`. */
export async function readSmallFile(file: string, maxBytes: number): Promise<Buffer | undefined> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error(`${file} is not a file`);
    if (st.size > maxBytes) throw new Error(`${file} is larger than ${maxBytes} bytes`);
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Chain names with a checkpoint note in the folder. */
export async function listCheckpointNotes(auditDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(checkpointsDir(auditDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(n)).sort();
}
