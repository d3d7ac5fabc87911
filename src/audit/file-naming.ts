/**
 * Audit file names: `audit-<YYYY-MM-DD>[-<replica>][.<n>].jsonl`. The name alone orders a chain's files
 * (UTC date, then rotation index), so readers never need file times, which copies and restores change.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replica ids become part of file names: no dots (the index separator), no path characters. Not
 * `default`, the chain name of the files without a replica id (its lock and checkpoint files).
 */
const REPLICA_ID = /^(?!default$)[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const FILE_NAME = /^audit-(\d{4}-\d{2}-\d{2})(?:-([A-Za-z0-9][A-Za-z0-9_-]{0,63}))?(?:\.([1-9]\d{0,8}))?\.jsonl$/;

export interface AuditFileName {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  replica: string | null;
  /** 0 for the first file of the day, then 1, 2, … after size rotations. */
  index: number;
}

export interface ChainFile extends AuditFileName {
  name: string;
  /** `dir` joined with `name`, as given by the caller (relative stays relative, for messages). */
  path: string;
}

/** One replica's files, oldest first. */
export interface AuditChain {
  replica: string | null;
  files: ChainFile[];
}

export function isValidReplicaId(id: string): boolean {
  return REPLICA_ID.test(id);
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function formatAuditFileName(name: AuditFileName): string {
  const replica = name.replica === null ? '' : `-${name.replica}`;
  const index = name.index === 0 ? '' : `.${name.index}`;
  return `audit-${name.date}${replica}${index}.jsonl`;
}

export function parseAuditFileName(fileName: string): AuditFileName | null {
  const m = FILE_NAME.exec(fileName);
  if (!m) return null;
  const date = m[1]!;
  // A name with an impossible date (2026-13-45) is not ours: it would sort in a place no writer put it.
  const parsed = new Date(`${date}T00:00:00.000Z`);
  if (Number.isNaN(parsed.getTime()) || utcDay(parsed) !== date) return null;
  return { date, replica: m[2] ?? null, index: m[3] === undefined ? 0 : Number(m[3]) };
}

/** Chain order: by day, then by rotation index. */
export function compareAuditFiles(a: AuditFileName, b: AuditFileName): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  return a.index - b.index;
}

/**
 * Every chain found in `dir`, the unnamed replica first, then by replica id. Files whose names do not
 * follow the scheme are not part of any chain and are ignored.
 */
export async function listChains(dir: string): Promise<AuditChain[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const byReplica = new Map<string | null, ChainFile[]>();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const parsed = parseAuditFileName(entry.name);
    if (!parsed) continue;
    const files = byReplica.get(parsed.replica) ?? [];
    files.push({ ...parsed, name: entry.name, path: path.join(dir, entry.name) });
    byReplica.set(parsed.replica, files);
  }
  const chains = [...byReplica.entries()].map(([replica, files]) => ({ replica, files: files.sort(compareAuditFiles) }));
  return chains.sort((a, b) => {
    if (a.replica === b.replica) return 0;
    if (a.replica === null) return -1;
    if (b.replica === null) return 1;
    return a.replica < b.replica ? -1 : 1;
  });
}

/** The files of one replica's chain, oldest first (empty when it has none yet). */
export async function listChainFiles(dir: string, replica: string | null): Promise<ChainFile[]> {
  const chains = await listChains(dir);
  return chains.find((c) => c.replica === replica)?.files ?? [];
}
