/**
 * Roots and proofs from one pass over a log's leaves, in memory bounded by what was asked for: the
 * CompactRange reports every perfect subtree it completes, and the scan keeps only the subtrees the
 * requested proofs name (about log2(size) per proof) and the roots at the requested sizes. `audit prove`
 * asks for one proof, `audit verify --checkpoint` for a root per checkpoint; asking for many proofs at
 * once costs one pass, not one per proof.
 */
import { CompactRange } from './merkle';
import { consistencyPlan, foldRight, inclusionPlan, subtreesOf, type LeafRange, type Subtree } from './proofs';

export interface ScanRequests {
  /** Tree sizes whose root is wanted. */
  roots?: readonly number[];
  inclusion?: readonly { index: number; size: number }[];
  consistency?: readonly { from: number; to: number }[];
}

const key = (s: Subtree): string => `${s.level}/${s.index}`;

export class TreeScan {
  private readonly wanted = new Map<string, Buffer | undefined>();
  private readonly rootSizes: Set<number>;
  private readonly roots = new Map<number, Buffer>();
  private readonly range: CompactRange;

  constructor(requests: ScanRequests) {
    this.rootSizes = new Set(requests.roots ?? []);
    for (const r of requests.inclusion ?? []) this.want(inclusionPlan(r.index, r.size));
    for (const r of requests.consistency ?? []) this.want(consistencyPlan(r.from, r.to));
    this.range = new CompactRange(0, [], (level, index, hash) => {
      const k = `${level}/${index}`;
      if (this.wanted.has(k)) this.wanted.set(k, hash);
    });
    if (this.rootSizes.has(0)) this.roots.set(0, this.range.root());
  }

  private want(plan: LeafRange[]): void {
    for (const range of plan) for (const s of subtreesOf(range)) this.wanted.set(key(s), undefined);
  }

  /** Leaves read so far. */
  get size(): number {
    return this.range.size;
  }

  /** The largest size anything asked for needs: leaves past it change no answer. */
  static needs(requests: ScanRequests): number {
    return Math.max(0, ...(requests.roots ?? []), ...(requests.inclusion ?? []).map((r) => r.size), ...(requests.consistency ?? []).map((r) => r.to));
  }

  add(leaf: Buffer): void {
    this.range.append(leaf);
    if (this.rootSizes.has(this.range.size)) this.roots.set(this.range.size, this.range.root());
  }

  /** The root at `size`, once that many leaves were read. */
  root(size: number): Buffer | undefined {
    return this.roots.get(size);
  }

  private hashOf(range: LeafRange): Buffer {
    const hashes = subtreesOf(range).map((s) => {
      const h = this.wanted.get(key(s));
      if (h === undefined) throw new RangeError(`leaves ${range.lo} to ${range.hi - 1} were not read (or not asked for)`);
      return h;
    });
    return foldRight(hashes);
  }

  /** The inclusion proof asked for in the constructor; throws if fewer than `size` leaves were read. */
  inclusionProof(index: number, size: number): Buffer[] {
    return inclusionPlan(index, size).map((r) => this.hashOf(r));
  }

  consistencyProof(from: number, to: number): Buffer[] {
    return consistencyPlan(from, to).map((r) => this.hashOf(r));
  }
}
