/**
 * Merkle proofs: which subtrees make up an inclusion proof (RFC 6962 §2.1.1, PATH) and a consistency
 * proof (§2.1.2, PROOF/SUBPROOF), and checking either against a root (RFC 9162 §2.1.3.2 and §2.1.4.2).
 *
 * A plan is the list of leaf ranges [lo, hi) whose tree hashes (MTH) form the proof, in proof order: the
 * leaf's sibling first, the root's child last. Every range a plan names starts at a multiple of the
 * largest power of two not above its length, so its MTH is a right fold of aligned perfect subtrees
 * (`subtreesOf`), which a single pass over the leaves collects (tree-scan.ts).
 *
 * Sizes and indexes are plain numbers (whole, below 2^53); no bit operators, which JavaScript limits to
 * 32 bits.
 */
import { HASH_BYTES, isPowerOfTwo, nodeHash, splitPoint } from './merkle';

export interface LeafRange { lo: number; hi: number }

/** An aligned perfect subtree: `2^level` leaves starting at leaf `index * 2^level`. */
export interface Subtree { level: number; index: number }

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number, got ${n}`);
}

/** The ranges of the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionPlan(index: number, size: number): LeafRange[] {
  checkSize(index, 'a leaf index');
  checkSize(size, 'a tree size');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  const plan: LeafRange[] = [];
  let lo = 0;
  let hi = size;
  // PATH(m, D[lo:hi]) = PATH(m, half holding m) : MTH(other half); collected root-side first, then reversed.
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      plan.push({ lo: lo + k, hi });
      hi = lo + k;
    } else {
      plan.push({ lo, hi: lo + k });
      lo += k;
    }
  }
  return plan.reverse();
}

/** The ranges of the consistency proof from the tree of `from` leaves to the tree of `to` leaves (0 < from <= to). */
export function consistencyPlan(from: number, to: number): LeafRange[] {
  checkSize(from, 'a tree size');
  checkSize(to, 'a tree size');
  if (from < 1 || from > to) throw new RangeError(`no consistency proof from ${from} leaves to ${to}`);
  const plan: LeafRange[] = [];
  let m = from;
  let lo = 0;
  let hi = to;
  let whole = true; // SUBPROOF's b: the old tree is exactly this subtree, which the verifier already knows
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      plan.push({ lo: lo + k, hi });
      hi = lo + k;
    } else {
      plan.push({ lo, hi: lo + k });
      m -= k;
      lo += k;
      whole = false;
    }
  }
  if (!whole) plan.push({ lo, hi });
  return plan.reverse();
}

/** The aligned perfect subtrees whose right fold is MTH(D[lo:hi]), largest first. */
export function subtreesOf(range: LeafRange): Subtree[] {
  const parts: Subtree[] = [];
  let lo = range.lo;
  while (lo < range.hi) {
    const n = range.hi - lo;
    const width = isPowerOfTwo(n) ? n : splitPoint(n);
    if (lo % width !== 0) throw new RangeError(`[${range.lo}, ${range.hi}) is not a range of an RFC 6962 proof`);
    parts.push({ level: Math.log2(width), index: lo / width });
    lo += width;
  }
  return parts;
}

/** The right fold of subtree hashes, largest first: node(h0, node(h1, … hN)). */
export function foldRight(hashes: readonly Buffer[]): Buffer {
  let hash = hashes[hashes.length - 1];
  if (hash === undefined) throw new RangeError('no hashes to fold');
  for (let i = hashes.length - 2; i >= 0; i--) hash = nodeHash(hashes[i]!, hash);
  return hash;
}

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

function wellFormed(hashes: readonly Buffer[]): boolean {
  return hashes.every((h) => h.length === HASH_BYTES);
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` shows that `leaf` is leaf `index` of the tree of `size` leaves whose
 * root is `root`.
 */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: readonly Buffer[], root: Buffer): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!wellFormed([leaf, root, ...proof])) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows that the tree of `to` leaves with root `toRoot` extends the tree
 * of `from` leaves with root `fromRoot` (0 < from <= to).
 */
export function verifyConsistency(from: number, to: number, proof: readonly Buffer[], fromRoot: Buffer, toRoot: Buffer): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || from > to) return false;
  if (!wellFormed([fromRoot, toRoot, ...proof])) return false;
  if (from === to) return proof.length === 0 && fromRoot.equals(toRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(fromRoot) && sr.equals(toRoot);
}
