/**
 * Everything under a folder, subfolders included (audit.dir holds `locks/` beside the chain files), for
 * tests that check every byte telegate wrote or every entry's mode.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export interface FolderEntry { path: string; kind: 'file' | 'folder' }

export async function walkFolder(dir: string): Promise<FolderEntry[]> {
  const out: FolderEntry[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      out.push({ path: full, kind: 'folder' }, ...await walkFolder(full));
    } else {
      out.push({ path: full, kind: 'file' });
    }
  }
  return out;
}
