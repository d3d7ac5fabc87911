/**
 * A request body's deadline (limits.body_timeout_ms and limits.body_min_rate): it must arrive within
 * `timeoutMs` of its head, plus one second for every `minRate` bytes the connection delivered since (the
 * shape of Apache's mod_reqtimeout `body=…,MinRate=…`). A client that trickles a byte every few seconds
 * is refused within `timeoutMs` and its connection closed, so a few such clients cannot hold the
 * listener's connections for Node's whole request timeout; a large snapshot on a slow link earns its time.
 *
 * One sweep for the whole listener, not a timer per request: a request is watched by setting three fields
 * of its connection's clock, and the sweep drops clocks whose request completed.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One connection's clock: the request whose body is still arriving (only the last one parsed can be). */
export class BodyClock {
  req: IncomingMessage | undefined = undefined;
  started = 0;
  bytesAtStart = 0;

  /** `held`: whether the gateway itself stopped reading the connection (its time does not count). */
  constructor(readonly socket: Socket, readonly held: () => boolean) {}
}

export class BodyDeadlines {
  private readonly clocks = new Set<BodyClock>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    private readonly minRate: number,
    private readonly late: (clock: BodyClock) => void,
  ) {
    // A quarter of the deadline, at most a second: a late body is refused within 1.25 times its deadline.
    this.sweep = setInterval(() => this.check(), Math.max(25, Math.min(1_000, Math.floor(timeoutMs / 4))));
    this.sweep.unref();
  }

  /** Starts the clock of `req`, whose head was just parsed on `clock.socket`. */
  watch(clock: BodyClock, req: IncomingMessage): void {
    clock.req = req;
    clock.started = performance.now();
    clock.bytesAtStart = clock.socket.bytesRead;
    this.clocks.add(clock);
  }

  forget(clock: BodyClock): void {
    this.clocks.delete(clock);
    clock.req = undefined;
  }

  close(): void {
    clearInterval(this.sweep);
    this.clocks.clear();
  }

  private check(): void {
    const now = performance.now();
    for (const clock of this.clocks) {
      const req = clock.req;
      if (req === undefined || req.complete || clock.socket.destroyed) {
        this.forget(clock);
        continue;
      }
      if (clock.held()) {
        // Not the client's time: the gateway is not reading (a pipelined backlog, or answers it has not taken).
        clock.started = now;
        clock.bytesAtStart = clock.socket.bytesRead;
        continue;
      }
      const earned = ((clock.socket.bytesRead - clock.bytesAtStart) * 1_000) / this.minRate;
      if (now - clock.started > this.timeoutMs + earned) {
        this.forget(clock);
        this.late(clock);
      }
    }
  }
}
