/**
 * A bounded memo of pseudonyms in two generations: lookups try the young one, then the old one (and
 * bring a hit back into the young one); when the young one is full it becomes the old one and the old
 * one is let go whole. Every operation is O(1), with no per-entry bookkeeping, and a working set up to
 * half the capacity is always held, so a snapshot's identifiers, seen again 30 minutes later, are all
 * hits. Larger working sets degrade gradually rather than all at once, as they would with FIFO or LRU
 * under a cyclic scan.
 */
export class PseudonymCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly generation: number;

  /** @param capacity the most entries held at once; 0 holds none */
  constructor(capacity: number) {
    this.generation = Math.floor(capacity / 2);
  }

  /** Entries held, counting a promoted one in both generations: an upper bound on memory. */
  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: string): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.generation === 0) return;
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
