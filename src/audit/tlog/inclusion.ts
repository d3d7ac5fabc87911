/**
 * Proving one record to a third party without the log (SPEC §6.1): `audit prove` finds the egress
 * record, its index in its chain, and builds a C2SP tlog-proof against a signed checkpoint that covers
 * it; `audit verify-proof` checks such a proof against the record's line alone. The line is the leaf
 * (SHA-256(0x00 ‖ line)), so whoever holds the line and the proof needs nothing else but the verifier key.
 */
import { listChains, type AuditChain } from '../file-naming';
import { parseRecordLine } from '../record-line';
import { chainLines, scanChain } from './chain-leaves';
import { openCheckpoint, type CheckpointFailure } from './checkpoint-audit';
import { DEFAULT_CHAIN, parseCheckpointText, splitOrigin } from './checkpoint';
import { inclusionPlan, verifyInclusion } from './proofs';
import { parseNote, type NoteVerifier } from './signed-note';
import { formatTlogProof, parseTlogProof } from './tlog-proof';

export interface FoundRecord {
  chain: AuditChain;
  /** The chain's name: its replica id, or `default`. */
  chainName: string;
  /** Leaf index: the record's line number in the chain, from 0. */
  index: number;
  /** The record's line without its newline (a copy). */
  line: Buffer;
  file: string;
  lineInFile: number;
}

/** The first egress record with request id `id`, chain by chain (the chain of no replica first), as `audit show` finds it. */
export async function findEgressRecord(dir: string, id: string): Promise<FoundRecord | undefined> {
  const needle = Buffer.from(`"id":${JSON.stringify(id)}`, 'utf8');
  const egress = Buffer.from('"type":"egress"', 'utf8');
  for (const chain of await listChains(dir)) {
    let index = 0;
    for await (const line of chainLines(chain.files)) {
      // Most lines are not the one: a byte search before any parsing.
      if (line.bytes.includes(needle) && line.bytes.includes(egress)) {
        const parsed = parseRecordLine(line.bytes, { validateBody: false });
        if (parsed.ok && parsed.record.type === 'egress' && parsed.record['id'] === id) {
          return { chain, chainName: chain.replica ?? DEFAULT_CHAIN, index, line: Buffer.from(line.bytes), file: line.file.path, lineInFile: line.line };
        }
      }
      index++;
    }
  }
  return undefined;
}

export type ProveFailure = 'malformed' | 'wrong-chain' | 'not-covered' | 'mismatch';

export type Proved =
  | { ok: true; proof: string; size: number; origin: string }
  | { ok: false; reason: ProveFailure; message: string };

/**
 * The tlog-proof of `found` against the checkpoint note `note`, which must be of its chain, cover it, and
 * still match the chain (a proof against a root the chain no longer gives would not verify anyway).
 */
export async function proveRecord(found: FoundRecord, note: string): Promise<Proved> {
  const parsed = parseNote(note);
  if (!parsed.ok) return { ok: false, reason: 'malformed', message: parsed.message };
  const cp = parseCheckpointText(parsed.value.text);
  if (!cp.ok) return { ok: false, reason: 'malformed', message: cp.message };
  const { origin, size, root } = cp.value;
  if (splitOrigin(origin)?.chain !== found.chainName) {
    return { ok: false, reason: 'wrong-chain', message: `the checkpoint is of ${origin}, but the record is in chain ${found.chainName}` };
  }
  if (size <= found.index) {
    return { ok: false, reason: 'not-covered', message: `the checkpoint of ${origin} covers records 0 to ${size - 1}; this record is number ${found.index} and is not covered yet: checkpoints are written every audit.checkpoint.interval_s while records are added, and at every stop; try again after the next one` };
  }
  const { scan } = await scanChain(found.chain.files, { roots: [size], inclusion: [{ index: found.index, size }] });
  const actual = scan.root(size);
  if (actual === undefined || !actual.equals(root)) {
    return { ok: false, reason: 'mismatch', message: `the chain no longer gives the root of its checkpoint at size ${size} (${actual === undefined ? 'it holds fewer records: cut' : 'records were edited or rewritten'}): run telegate audit verify --checkpoint` };
  }
  return { ok: true, proof: formatTlogProof({ index: found.index, proof: scan.inclusionProof(found.index, size), checkpoint: note }), size, origin };
}

export type ProofCheck =
  | { ok: true; index: number; size: number; origin: string; key: string }
  | { ok: false; reason: CheckpointFailure | 'not-included'; message: string };

/**
 * Whether `proofText` proves that the record line whose leaf hash is `leaf` (SHA-256(0x00 ‖ line), see
 * merkle.ts) is in a checkpoint signed by one of `keys`.
 */
export function checkRecordProof(proofText: string, leaf: Buffer, keys: readonly NoteVerifier[]): ProofCheck {
  const parsed = parseTlogProof(proofText);
  if (!parsed.ok) return { ok: false, reason: 'malformed', message: parsed.message };
  const { index, proof, checkpoint } = parsed.value;
  const opened = openCheckpoint({ source: 'the proof', note: Buffer.from(checkpoint, 'utf8') }, keys);
  if (!opened.ok) return { ok: false, reason: opened.check.reason ?? 'malformed', message: `its checkpoint: ${opened.check.message}` };
  const { size, root, origin } = opened.checkpoint;
  // Said plainly before the hashes are followed: a proof made against another checkpoint or tree size.
  if (index >= size) {
    return { ok: false, reason: 'not-included', message: `the proof's index ${index} is not in the checkpoint's tree of ${size} records (entries 0 to ${size - 1}): a proof made against another checkpoint` };
  }
  const needed = inclusionPlan(index, size).length;
  if (proof.length !== needed) {
    return { ok: false, reason: 'not-included', message: `the proof holds ${proof.length} hash(es), but entry ${index} of a tree of ${size} records needs ${needed}: a proof made for another tree size, or altered` };
  }
  if (!verifyInclusion(index, size, leaf, proof, root)) {
    return {
      ok: false, reason: 'not-included',
      message: `the inclusion proof does not lead from this record to the root of ${origin} at size ${size}: the record differs from the one proven (edited, or another record), or the proof was altered`,
    };
  }
  return { ok: true, index, size, origin, key: opened.key };
}
