/**
 * What the console shows of each chain's checkpoints: the latest note in `<audit.dir>/checkpoints/`
 * (origin, size, root, when it was written) and what the witness answered to it. Read from the files the
 * writers keep, so the supervisor of several workers shows every worker's chain. Not a verification:
 * `telegate audit verify --checkpoint` is.
 */
import { stat } from 'node:fs/promises';
import { listChains } from '../file-naming';
import { chainName, parseCheckpointText } from './checkpoint';
import { listCheckpointNotes, MAX_NOTE_BYTES, notePath, readSmallFile, witnessPath } from './checkpoint-files';
import { parseNote } from './signed-note';

export interface ChainCheckpointStatus {
  chain: string;
  /** The latest checkpoint; absent when the chain has none. */
  latest?: { origin: string; size: number; root: string; written_at: string };
  /** Why the note could not be read, when it could not. */
  problem?: string;
  /** The witness's answer to the latest note posted to it; absent without a witness. */
  witness?: { size: number; root: string; at: string; accepted: boolean; status?: number; error?: string };
  /** Whether the witness accepted this very checkpoint (same size and root). */
  witness_accepted_latest: boolean;
}

async function readWitness(auditDir: string, chain: string): Promise<ChainCheckpointStatus['witness']> {
  const bytes = await readSmallFile(witnessPath(auditDir, chain), MAX_NOTE_BYTES).catch(() => undefined);
  if (bytes === undefined) return undefined;
  try {
    const w = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if (typeof w['size'] !== 'number' || typeof w['root'] !== 'string' || typeof w['at'] !== 'string' || typeof w['accepted'] !== 'boolean') return undefined;
    return {
      size: w['size'], root: w['root'], at: w['at'], accepted: w['accepted'],
      ...(typeof w['status'] === 'number' ? { status: w['status'] } : {}),
      ...(typeof w['error'] === 'string' ? { error: w['error'] } : {}),
    };
  } catch {
    return undefined;
  }
}

export async function readCheckpointStatus(auditDir: string): Promise<ChainCheckpointStatus[]> {
  const names = new Set([...(await listChains(auditDir)).map((c) => chainName(c.replica)), ...await listCheckpointNotes(auditDir)]);
  const out: ChainCheckpointStatus[] = [];
  for (const chain of [...names].sort()) {
    const status: ChainCheckpointStatus = { chain, witness_accepted_latest: false };
    const file = notePath(auditDir, chain);
    try {
      const bytes = await readSmallFile(file, MAX_NOTE_BYTES);
      if (bytes !== undefined) {
        const note = parseNote(bytes);
        const cp = note.ok ? parseCheckpointText(note.value.text) : note;
        if (cp.ok) {
          const { mtime } = await stat(file);
          status.latest = { origin: cp.value.origin, size: cp.value.size, root: cp.value.root.toString('base64'), written_at: mtime.toISOString() };
        } else {
          status.problem = cp.message;
        }
      }
    } catch (error) {
      status.problem = `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
    }
    const witness = await readWitness(auditDir, chain);
    if (witness) {
      status.witness = witness;
      status.witness_accepted_latest = witness.accepted && status.latest !== undefined && witness.size === status.latest.size && witness.root === status.latest.root;
    }
    out.push(status);
  }
  return out;
}
