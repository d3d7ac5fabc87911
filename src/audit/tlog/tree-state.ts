/**
 * The writer's tree as saved beside each checkpoint (`<chain>.tree.json`): enough to resume it after a
 * restart in O(log n) instead of re-reading the chain. It is trusted only as far as it can be checked:
 * the line it says the tree ends with must still be there, with that seq and hash (the hash chain then
 * vouches for every line before it), and its root must be the latest checkpoint's.
 */
import { decodeBase64Strict } from './base64';
import { CompactRange, HASH_BYTES, popCount } from './merkle';

export interface TreeEnd {
  /** The file holding the tree's last line, and the byte offset just after that line. */
  file: string;
  offset: number;
  /** That line's record seq and hash. */
  seq: number;
  hash: string;
}

export interface TreeState {
  chain: string;
  size: number;
  edge: Buffer[];
  /** Absent for an empty tree. */
  end?: TreeEnd;
}

const VERSION = 1;

export function formatTreeState(state: TreeState): string {
  return `${JSON.stringify({
    v: VERSION, chain: state.chain, size: state.size, edge: state.edge.map((h) => h.toString('base64')),
    ...(state.end ? { end: state.end } : {}),
  })}\n`;
}

/** The state, or undefined when the text is not one this version wrote (the caller then rebuilds the tree). */
export function parseTreeState(text: string, chain: string): TreeState | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r['v'] !== VERSION || r['chain'] !== chain) return undefined;
  const size = r['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (!Array.isArray(r['edge']) || r['edge'].length !== popCount(size)) return undefined;
  const edge: Buffer[] = [];
  for (const h of r['edge']) {
    const bytes = typeof h === 'string' ? decodeBase64Strict(h) : undefined;
    if (!bytes || bytes.length !== HASH_BYTES) return undefined;
    edge.push(bytes);
  }
  const state: TreeState = { chain, size, edge };
  if (size === 0) return r['end'] === undefined ? state : undefined;
  const end = r['end'] as Record<string, unknown> | undefined;
  if (typeof end !== 'object' || end === null) return undefined;
  const { file, offset, seq, hash } = end;
  if (typeof file !== 'string' || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1) return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  state.end = { file, offset, seq, hash };
  return state;
}

export function rangeOf(state: TreeState): CompactRange {
  return new CompactRange(state.size, state.edge);
}
