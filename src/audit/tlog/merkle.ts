/**
 * RFC 6962 §2.1 Merkle tree hashing over a chain's record lines (SPEC §6.1): leaf = SHA-256(0x00 ‖ line
 * without its newline), interior node = SHA-256(0x01 ‖ left ‖ right), the empty tree = SHA-256("").
 *
 * CompactRange is the tree kept incrementally: the roots of the perfect subtrees that make up the first
 * `size` leaves (one per set bit of `size`, largest first; the "right edge" of the tree). Appending a leaf
 * merges equal-sized neighbours, so it costs one leaf hash and, amortised, one node hash; the state is
 * O(log n) hashes, and the root of the tree at `size` is a fold of them (RFC 6962's MTH splits at the
 * largest power of two below n, which is exactly that decomposition).
 */
import { createHash, hash as oneShotHash } from 'node:crypto';

export const HASH_BYTES = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = 0x01;

/** SHA-256 of nothing: the root of a tree with no leaves (RFC 6962 §2.1). */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

export function leafHash(line: Buffer): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(line).digest();
}

/**
 * The leaf hash of a line held in pieces (the writer's record chunks), `trailing` bytes of the last piece
 * left out (its newline): a 50 MB body is hashed where it lies, never copied.
 */
export function leafHashOfChunks(chunks: readonly Buffer[], trailing = 0): Buffer {
  const h = createHash('sha256').update(LEAF_PREFIX);
  const last = chunks.length - 1;
  for (let i = 0; i < last; i++) h.update(chunks[i]!);
  if (last >= 0) h.update(trailing === 0 ? chunks[last]! : chunks[last]!.subarray(0, chunks[last]!.length - trailing));
  return h.digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  // One buffer and a one-shot hash: a Hash object per node costs more than the 65 bytes it hashes.
  const input = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
  input[0] = NODE_PREFIX;
  left.copy(input, 1);
  right.copy(input, 1 + HASH_BYTES);
  return oneShotHash('sha256', input, 'buffer');
}

/** The largest power of two strictly below `n` (n >= 2): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** Called with each perfect subtree the range completes: `level` 0 is a leaf, `index` counts from the left at that level. */
export type NodeSink = (level: number, index: number, hash: Buffer) => void;

export class CompactRange {
  private readonly edge: Buffer[];
  private count: number;

  /** `edge`: the perfect subtrees' roots for `size` leaves, largest first (see `edgeHashes`). */
  constructor(size = 0, edge: readonly Buffer[] = [], private readonly onNode?: NodeSink) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`a tree size must be a whole number, got ${size}`);
    if (edge.length !== popCount(size) || edge.some((h) => h.length !== HASH_BYTES)) {
      throw new RangeError(`a tree of ${size} leaves has ${popCount(size)} edge hashes of ${HASH_BYTES} bytes`);
    }
    this.count = size;
    this.edge = [...edge];
  }

  get size(): number {
    return this.count;
  }

  /** The edge hashes, largest subtree first (a copy): with `size`, all there is to resume the tree. */
  edgeHashes(): Buffer[] {
    return [...this.edge];
  }

  append(leaf: Buffer): void {
    let hash = leaf;
    let index = this.count;
    this.onNode?.(0, index, hash);
    // Each trailing 1 bit of the old size is a perfect subtree of the new leaf's size: merge it.
    let level = 0;
    for (let n = this.count; n % 2 === 1; n = (n - 1) / 2) {
      hash = nodeHash(this.edge.pop()!, hash);
      level++;
      index = Math.floor(index / 2);
      this.onNode?.(level, index, hash);
    }
    this.edge.push(hash);
    this.count++;
  }

  /** The root hash of the tree over every leaf appended so far. */
  root(): Buffer {
    if (this.edge.length === 0) return EMPTY_ROOT;
    let hash = this.edge[this.edge.length - 1]!;
    for (let i = this.edge.length - 2; i >= 0; i--) hash = nodeHash(this.edge[i]!, hash);
    return hash;
  }
}

export function popCount(n: number): number {
  let bits = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) bits += x % 2;
  return bits;
}
