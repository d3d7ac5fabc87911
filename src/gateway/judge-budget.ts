/**
 * The memory budget for bodies being judged at once (`limits.judge_budget_bytes`, SPEC §5 "a budget for
 * bodies being judged at once"). Judging a body holds several times its decoded size at its peak (the
 * text, the parsed tree, the output tree and its JSON: BENCHMARKS.md measures ~6×), so two 49 MB
 * snapshots at once take a 1 GiB pod near its limit and a third would take it over. Each body takes its
 * size from the budget before it is read (its declared Content-Length) and as much more as it decodes
 * to; what does not fit waits its turn, first come first served, for at most `waitMs`, and is then
 * refused with 503 and Retry-After. Nothing is ever over-committed, so the process is never killed for
 * memory by a burst of large bodies.
 *
 * A small body (at most 1/64 of the budget) that fits is not queued behind a large one that does not.
 * A body larger than the whole budget is refused (413): judging it would break the budget's promise
 * whatever else waits, so the budget is also the largest decoded body (limits.inflated_bytes permitting).
 */
import { GatewayError } from './http-error';

/** Most requests waiting at once: past this a newcomer is refused at once, not queued. */
export const MAX_WAITING = 64;
/**
 * A body of at most this share of the budget never queues behind a large one while it fits: small
 * batches (kilobytes) must not wait seconds for a snapshot, and together they are a rounding error.
 */
const SMALL_SHARE = 64;

interface Waiter { bytes: number; grant: () => void; timer: NodeJS.Timeout }

/** Bytes taken from a budget; give them back with `release` (any number of times: only the first counts). */
export interface Charge {
  /** Takes `more` bytes in addition, waiting as `JudgeBudget.take` does. */
  grow(more: number): Promise<void>;
  release(): void;
}

export class JudgeBudget {
  private used = 0;
  private readonly waiting: Waiter[] = [];

  /** `onChange`: told the bytes in use after every change (the metrics gauge). */
  constructor(readonly capacity: number, private readonly waitMs: number, private readonly onChange: (inUse: number) => void = () => undefined) {}

  get inUse(): number { return this.used; }

  /**
   * Takes `bytes`; waits for them, or throws the 503 refusal. A charge that would pass the whole budget
   * is refused at once (413 larger-than-budget): judging it, even alone, would spend several times more
   * memory than the budget plans for (a 7.7 MB gzip decoding to 263 MB took a gateway to 1.46 GB).
   */
  async take(bytes: number): Promise<Charge> {
    let held = 0;
    const charge: Charge = {
      grow: async (more) => {
        const want = Math.max(0, more);
        if (want === 0) return;
        if (held + want > this.capacity) throw largerThanBudget(this.capacity);
        await this.acquire(want);
        held += want;
      },
      release: () => {
        if (held === 0) return;
        this.used -= held;
        held = 0;
        this.grantWaiting();
        this.onChange(this.used);
      },
    };
    await charge.grow(bytes);
    return charge;
  }

  private acquire(bytes: number): Promise<void> {
    if ((this.waiting.length === 0 || bytes <= this.capacity / SMALL_SHARE) && this.used + bytes <= this.capacity) {
      this.used += bytes;
      this.onChange(this.used);
      return Promise.resolve();
    }
    if (this.waiting.length >= MAX_WAITING) return Promise.reject(overBudget(this.waitMs));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => { clearTimeout(waiter.timer); this.used += bytes; this.onChange(this.used); resolve(); },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          // The head may have been the one that did not fit: those behind it may fit now.
          this.grantWaiting();
          reject(overBudget(this.waitMs));
        }, this.waitMs),
      };
      // The waiting request keeps the process alive, not its timer.
      waiter.timer.unref();
      this.waiting.push(waiter);
    });
  }

  /** First come, first served: the head waits until it fits, and nothing behind it passes it. */
  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.capacity) {
      this.waiting.shift()!.grant();
    }
  }
}

/** A body that decodes to more than the whole budget: it can never be judged within it. */
export function largerThanBudget(capacity: number): GatewayError {
  return new GatewayError(413, 'larger-than-budget',
    `the body is larger than limits.judge_budget_bytes (${capacity} bytes), the memory telegate may spend on bodies judged at once; nothing was forwarded`,
    { connection: 'close' });
}

function overBudget(waitMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new GatewayError(503, 'over-budget',
    'telegate is judging as many large bodies as its memory budget (limits.judge_budget_bytes) allows; nothing was forwarded, try again later',
    // Closed: a body not read yet is not read at all.
    { 'retry-after': String(seconds), connection: 'close' });
}
