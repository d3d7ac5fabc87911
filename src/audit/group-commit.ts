/**
 * Group commit for a hash chain. Items are queued in call order (already chained to each other); one
 * loop hands everything queued to `commit` as one batch (one write, one sync), settles that batch's
 * waiters, and takes the next batch, which collected while the sync was in flight.
 *
 * On failure the chain decides what is lost: the items from the first one that did not become durable
 * onwards, AND every item queued behind them, because each of those names a predecessor's hash that is
 * not on disk. `onAbort` receives the first lost item so the owner can rewind its chain head to it.
 */

export interface BatchOutcome {
  /** How many items, from the start of the batch, are durable. */
  durable: number;
  /** Set when the rest of the batch failed. */
  error?: Error;
}

interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class GroupCommit<T> {
  private queue: Waiter<T>[] = [];
  private running = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly commit: (items: T[]) => Promise<BatchOutcome>,
    private readonly onAbort: (firstLost: T, error: Error) => Error,
  ) {}

  /** Resolves when the item is durable; rejects if its batch (or one before it) failed. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // A microtask, not now: the caller's other synchronous appends join this first batch.
        queueMicrotask(() => { void this.run(); });
      }
    });
  }

  /** Resolves when everything submitted so far is settled. */
  drain(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => { this.idle.push(resolve); });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      let outcome: BatchOutcome;
      try {
        outcome = await this.commit(batch.map((w) => w.item));
      } catch (err) {
        outcome = { durable: 0, error: err instanceof Error ? err : new Error(String(err)) };
      }
      for (const w of batch.slice(0, outcome.durable)) w.resolve();
      if (outcome.error) {
        const lost = batch.slice(outcome.durable);
        const behind = this.queue.splice(0);
        const first = lost[0] ?? behind[0];
        const abortError = first ? this.onAbort(first.item, outcome.error) : outcome.error;
        for (const w of lost) w.reject(outcome.error);
        for (const w of behind) w.reject(abortError);
      }
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
