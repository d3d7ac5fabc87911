/**
 * Pairs egress records with the outcome the gateway writes after the vendor answered, in bounded memory
 * and in chain order. A forwarded record waits in a queue until its outcome arrives; everything behind
 * it waits too, so output keeps the log's order. A wait ends without an outcome when none can come any
 * more — the writer stopped or restarted (`stop`, `start`: in-flight requests of a crashed run never get
 * one), the chain ended — or when bounds are reached: MAX_WAITING entries waiting, or LOOKAHEAD records
 * read since the entry. The bounds hold memory to a fixed size whatever the log; they are far above what
 * a gateway has in flight (an outcome follows its egress within the upstream timeout).
 */
import type { EgressEntry, OutcomeEntry } from './entries';

export const MAX_WAITING = 10_000;
export const LOOKAHEAD = 200_000;

export interface JoinedEgress { egress: EgressEntry; outcome: OutcomeEntry | null }

interface Queued extends JoinedEgress { waiting: boolean; readAt: number }

export class OutcomeJoin {
  private readonly queue: Queued[] = [];
  private head = 0;
  private readonly waitingById = new Map<string, Queued>();
  private records = 0;

  constructor(private readonly bounds: { maxWaiting: number; lookahead: number } = { maxWaiting: MAX_WAITING, lookahead: LOOKAHEAD }) {}

  /** Counts a record read from the chain (any type): the lookahead is measured in records. */
  tick(): void {
    this.records++;
  }

  /** Queues a matching egress record; only a forwarded request gets an outcome. */
  add(egress: EgressEntry): void {
    const waiting = egress.decision === 'forwarded' && !this.waitingById.has(egress.id);
    const q: Queued = { egress, outcome: null, waiting, readAt: this.records };
    this.queue.push(q);
    if (waiting) this.waitingById.set(egress.id, q);
  }

  outcome(o: OutcomeEntry): void {
    const q = this.waitingById.get(o.id);
    if (!q) return;
    q.outcome = o;
    q.waiting = false;
    this.waitingById.delete(o.id);
  }

  /** The writer stopped or restarted: no outcome will come for what is waiting. */
  endRun(): void {
    for (const q of this.waitingById.values()) q.waiting = false;
    this.waitingById.clear();
  }

  /** Entries ready to print, in order. */
  *ready(): Generator<JoinedEgress> {
    while (this.head < this.queue.length) {
      const q = this.queue[this.head]!;
      if (q.waiting && this.waitingById.size <= this.bounds.maxWaiting && this.records - q.readAt <= this.bounds.lookahead) return;
      if (q.waiting) {
        q.waiting = false;
        this.waitingById.delete(q.egress.id);
      }
      this.head++;
      // Drop consumed entries now and then, so the array does not grow with the log.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      yield { egress: q.egress, outcome: q.outcome };
    }
  }

  /** End of chain: everything left, in order. */
  *flush(): Generator<JoinedEgress> {
    this.endRun();
    yield* this.ready();
  }
}
