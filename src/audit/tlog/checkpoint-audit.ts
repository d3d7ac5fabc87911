/**
 * `audit verify --checkpoint FILE --key VKEY`: whether the log still holds, unchanged, everything each
 * checkpoint vouched for (SPEC §6.1). A checkpoint passes only if a given key named after its origin
 * prefix signed it, its origin names a chain in the folder, and that chain's first `size` lines give its
 * root. Each failure names its reason:
 *
 *   malformed      not a signed tlog checkpoint
 *   unknown-key    no given key named after the origin prefix signed it
 *   bad-signature  a given key's signature does not verify: the note was altered, or forged
 *   no-chain       its origin names no chain in the folder
 *   cut            the chain holds fewer records than the checkpoint: its end was cut, or files removed
 *   rewritten      the chain's first `size` records give another root: edited, or rewritten whole
 *
 * Every chain is read once, however many checkpoints name it.
 */
import { listChains } from '../file-naming';
import { chainNamed, scanChain } from './chain-leaves';
import { parseCheckpointText, splitOrigin, type Checkpoint } from './checkpoint';
import { hex8, openNote, type NoteVerifier } from './signed-note';

export type CheckpointFailure = 'malformed' | 'unknown-key' | 'bad-signature' | 'no-chain' | 'cut' | 'rewritten';

export interface CheckpointCheck {
  /** The checkpoint as the caller named it (its file). */
  source: string;
  ok: boolean;
  reason?: CheckpointFailure;
  message: string;
  origin?: string;
  chain?: string;
  size?: number;
  root?: string;
  /** The key that verified it: `name+<key id>`. */
  key?: string;
  /** For `cut`: the records the chain holds. */
  records?: number;
}

export interface CheckpointInput { source: string; note: Buffer }

type Opened = { ok: true; checkpoint: Checkpoint; chain: string; key: string } | { ok: false; check: CheckpointCheck };

/** Signature and syntax: the note is a checkpoint signed by a given key named after its origin prefix. */
export function openCheckpoint(input: CheckpointInput, keys: readonly NoteVerifier[]): Opened {
  const fail = (reason: CheckpointFailure, message: string, extra: Partial<CheckpointCheck> = {}): Opened =>
    ({ ok: false, check: { source: input.source, ok: false, reason, message, ...extra } });
  // The text first, to name the origin in every message.
  const opened = openNote(input.note, []);
  if (!opened.ok && opened.reason === 'malformed') return fail('malformed', opened.message);
  const text = opened.ok ? opened.note.text : opened.note!.text;
  const parsed = parseCheckpointText(text);
  if (!parsed.ok) return fail('malformed', parsed.message);
  const cp = parsed.value;
  const origin = splitOrigin(cp.origin);
  const about = { origin: cp.origin, size: cp.size, root: cp.root.toString('base64'), ...(origin ? { chain: origin.chain } : {}) };
  if (!origin) return fail('malformed', `the origin "${cp.origin}" is not <origin>/<chain name>`, about);
  // c2sp.org/tlog-proof: a checkpoint counts only when signed by a key configured for its origin.
  const forOrigin = keys.filter((k) => k.name === origin.prefix);
  const verified = openNote(input.note, forOrigin);
  if (!verified.ok) {
    if (verified.reason === 'bad-signature') return fail('bad-signature', verified.message, about);
    const signers = (verified.note?.signatures ?? []).map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ');
    const given = keys.map((k) => `${k.name}+${hex8(k.keyId)}`).join(', ') || 'none';
    return fail('unknown-key', `signed by ${signers}, but no --key named ${origin.prefix} (its origin prefix) with that key ID was given (given: ${given})`, about);
  }
  const key = verified.verifiedBy[0]!;
  return { ok: true, checkpoint: cp, chain: origin.chain, key: `${key.name}+${hex8(key.keyId)}` };
}

export async function checkCheckpoints(dir: string, inputs: readonly CheckpointInput[], keys: readonly NoteVerifier[]): Promise<CheckpointCheck[]> {
  const results: CheckpointCheck[] = new Array(inputs.length);
  const byChain = new Map<string, { index: number; checkpoint: Checkpoint; key: string }[]>();
  inputs.forEach((input, index) => {
    const opened = openCheckpoint(input, keys);
    if (!opened.ok) {
      results[index] = opened.check;
      return;
    }
    const list = byChain.get(opened.chain) ?? [];
    list.push({ index, checkpoint: opened.checkpoint, key: opened.key });
    byChain.set(opened.chain, list);
  });
  const chains = byChain.size > 0 ? await listChains(dir) : [];
  for (const [name, list] of byChain) {
    const chain = chainNamed(chains, name);
    const sizes = list.map((c) => c.checkpoint.size);
    const { scan, leaves } = chain ? await scanChain(chain.files, { roots: sizes }) : { scan: undefined, leaves: 0 };
    for (const { index, checkpoint, key } of list) {
      const base = { source: inputs[index]!.source, origin: checkpoint.origin, chain: name, size: checkpoint.size, root: checkpoint.root.toString('base64'), key };
      if (!chain || !scan) {
        results[index] = { ...base, ok: false, reason: 'no-chain', message: `its origin names chain "${name}", which has no audit files in ${dir}` };
        continue;
      }
      const root = scan.root(checkpoint.size);
      if (root === undefined) {
        results[index] = { ...base, records: leaves, ok: false, reason: 'cut', message: `the chain holds ${leaves} record(s) but the checkpoint vouches for ${checkpoint.size}: records were cut from its end, or files removed` };
      } else if (!root.equals(checkpoint.root)) {
        results[index] = { ...base, ok: false, reason: 'rewritten', message: `the chain's first ${checkpoint.size} records do not give the checkpoint's root: records were edited or removed, or the chain was rewritten` };
      } else {
        results[index] = { ...base, ok: true, message: `signed by ${key}; the chain's first ${checkpoint.size} records give its root` };
      }
    }
  }
  return results;
}
