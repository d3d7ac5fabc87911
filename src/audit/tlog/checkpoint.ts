/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text of a signed checkpoint, three lines
 * and optional extension lines:
 *
 *   <origin>              telegate's: `<audit.checkpoint.origin>/<chain name>` (SPEC §6.1)
 *   <tree size>           decimal, no leading zeros
 *   <root hash>           base64 of the RFC 6962 root at that size
 *
 * The chain name is the replica id, or `default` for the chain of no replica. The key that signs is
 * named after the origin prefix (one key for every chain of a gateway).
 */
import { decodeBase64Strict } from './base64';
import { HASH_BYTES } from './merkle';
import type { Parsed } from './signed-note';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** Lines after the root, kept as they are (telegate writes none). */
  extensions: string[];
}

/** The chain of no replica id: files `audit-<date>.jsonl`. */
export const DEFAULT_CHAIN = 'default';

export function chainName(replica: string | null | undefined): string {
  return replica ?? DEFAULT_CHAIN;
}

export function formatCheckpointText(cp: Pick<Checkpoint, 'origin' | 'size' | 'root'>): string {
  return `${cp.origin}\n${cp.size}\n${cp.root.toString('base64')}\n`;
}

export function parseCheckpointText(text: string): Parsed<Checkpoint> {
  const bad = (why: string): Parsed<Checkpoint> => ({ ok: false, message: `not a tlog checkpoint: ${why}` });
  if (!text.endsWith('\n')) return bad('the text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return bad('fewer than three lines (origin, tree size, root hash)');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') return bad('the origin line is empty');
  if (!/^(?:0|[1-9]\d*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return bad(`the tree size "${sizeText.slice(0, 30)}" is not a decimal number without leading zeros`);
  const root = decodeBase64Strict(rootText);
  if (!root || root.length !== HASH_BYTES) return bad('the root hash is not the base64 of 32 bytes');
  if (extensions.some((l) => l === '')) return bad('an extension line is empty');
  return { ok: true, value: { origin, size: Number(sizeText), root, extensions } };
}

/** `prefix/chain` → its parts (the chain name is what follows the last slash); undefined without a slash. */
export function splitOrigin(origin: string): { prefix: string; chain: string } | undefined {
  const slash = origin.lastIndexOf('/');
  if (slash <= 0 || slash === origin.length - 1) return undefined;
  return { prefix: origin.slice(0, slash), chain: origin.slice(slash + 1) };
}
