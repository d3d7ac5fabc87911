/**
 * One request at a time per connection, in the order they came, and nothing after the last one
 * (SPEC §5 "Framing"). Node's server emits every request its parser finds at once, pipelined ones
 * included, and keeps parsing after a `Connection: close` request; judged concurrently, a second
 * request could be forwarded while the instance only ever hears the first one's answer. So:
 *
 * - a request is judged only once the response before it on its connection is complete;
 * - after a request whose response closes the connection (its own `Connection: close`, HTTP/1.0, a
 *   refusal), nothing more from that connection is judged;
 * - a framing error found later on the connection (refused-connections.ts) cancels the request being
 *   judged unless it already committed (its record that lets it leave is appended): a cancelled request
 *   is answered the refusal (its own framing error, or `connection-error` when the bytes after it broke)
 *   and is not forwarded; the first request still waiting its turn answers it otherwise. A committed
 *   request gets its real response, and the refusal follows it. So an instance is never told "refused"
 *   about a request that left, and never told "forwarded" about one that did not.
 *
 * Bounded, whatever the client does (issue 14):
 *
 * - a connection with `pipelineDepth` requests waiting for their turn is not read any further until half
 *   of them are answered (socket-reading.ts), so a client pipelining thousands of requests without reading
 *   the answers holds at most that many plus the one read in hand (Node parses a whole read, up to 64 KiB,
 *   at once), and is still answered in order as it reads;
 * - a request whose body is late (body-deadline.ts) is refused like a framing error: `408`, closed;
 * - a connection that closes (a reset, or the stalled-reader deadline in connection-limits.ts) cancels the
 *   request being judged unless it committed: nobody is left to hear the answer, and an instance that saw
 *   its connection die will send the request again. The record says `rejected` (`aborted`); a committed
 *   one left and its outcome record says how the exchange ended.
 *
 * The egress handler marks the commit point itself (RequestSlot.commit), synchronously before it
 * appends that record, so no parser event can fall between the check and the append; before it, it
 * waits for the parser to catch up with the bytes already received (RequestSlot.caughtUp), so garbage
 * sent in the same packet as a request always cancels it, whatever the timing of promise jobs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BodyClock, type BodyDeadlines } from './body-deadline';
import { endsConnection } from './framing-check';
import { GatewayError, sendError } from './http-error';
import { SocketReading } from './socket-reading';

/**
 * A request's cancellation by its connection. Not an AbortController: one is made per request on the
 * hot path, and an EventTarget with its listener costs several microseconds where this costs none.
 */
export interface Cancellation {
  /** The refusal the request must be answered, once its connection's framing broke; else undefined. */
  readonly reason: GatewayError | undefined;
  /** Calls `listener` when the request is cancelled (one listener at a time); returns the undo. */
  onCancel(listener: (reason: GatewayError) => void): () => void;
}

export interface RequestSlot extends Cancellation {
  /**
   * Resolves once the parser has read every byte the connection delivered so far. Node parses one read
   * of the socket in a single turn of the event loop, but runs promise jobs between its callbacks, so a
   * handler could otherwise commit a request before the parser reaches the garbage sent right behind it
   * in the same packet. Await it, then call commit() in the same synchronous step as the append.
   */
  caughtUp(): Promise<void>;
  /**
   * Call synchronously right before appending the record that lets the request leave (or answers it at
   * level 0). False: the request was cancelled and must not leave; throw `reason`.
   */
  commit(): boolean;
}

/** The next turn of the event loop: setImmediate runs after the current read's parsing is done. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface GateOptions {
  /** Judges a request whose turn came (the head's framing already passed `checkHead`). */
  serve(req: IncomingMessage, res: ServerResponse, slot: RequestSlot): void;
  /** A refusal of the request head itself, or undefined. */
  checkHead(req: IncomingMessage): GatewayError | undefined;
  /** Answers a connection-level refusal on the bare socket and closes it. */
  answerRaw(socket: Socket, error: GatewayError): void;
  /** Counts a refusal (metrics). */
  refused(code: string): void;
  /** Requests waiting for their turn on one connection before reading stops (at least 2). */
  pipelineDepth: number;
  /** Watches each request's body deadline; none: only Node's request timeout applies. */
  deadlines?: BodyDeadlines;
  /** Called with the number of requests waiting on a connection whenever one joins a busy connection. */
  waiting?(count: number): void;
}

/** The connection closed before its request committed: nobody hears an answer, and nothing leaves. */
const CLIENT_GONE = new GatewayError(400, 'aborted', 'the client closed the connection before the request was forwarded; it was not forwarded');

interface Waiting { req: IncomingMessage; res: ServerResponse; expectContinue: boolean }

/** The request whose turn it is: its slot, as the egress handler sees it. */
class Running implements RequestSlot {
  reason: GatewayError | undefined = undefined;
  committed = false;
  private listener: ((reason: GatewayError) => void) | undefined = undefined;

  constructor(readonly req: IncomingMessage, readonly res: ServerResponse) {}

  cancel(reason: GatewayError): void {
    if (this.reason !== undefined || this.committed) return;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
  }

  onCancel(listener: (reason: GatewayError) => void): () => void {
    this.listener = listener;
    return () => { if (this.listener === listener) this.listener = undefined; };
  }

  caughtUp(): Promise<void> {
    return nextTurn();
  }

  commit(): boolean {
    if (this.reason !== undefined) return false;
    this.committed = true;
    return true;
  }
}

/** The gates of every connection of a gateway's listeners (one instance serves them all). */
export class ConnectionGates {
  private readonly gates = new WeakMap<Socket, Gate>();
  private draining = false;

  constructor(private readonly options: GateOptions) {}

  /** A request Node parsed (`request`, or `checkContinue` with `expectContinue`). */
  admit(req: IncomingMessage, res: ServerResponse, expectContinue = false): void {
    const socket = req.socket;
    let gate = this.gates.get(socket);
    if (gate === undefined) {
      gate = new Gate(socket, this.options, () => this.draining);
      this.gates.set(socket, gate);
    }
    gate.push({ req, res, expectContinue });
  }

  /**
   * Nothing was read or written on `socket` for limits.write_timeout_ms (Node's socket timeout, which a
   * write still making progress defers). A response the client does not take, a body that stopped, or a
   * connection with nothing in flight: the connection ends (a body is answered 408 first). A request being
   * judged or waiting for its vendor keeps it: upstream.timeout_ms bounds that, and its answer then re-arms
   * the timeout. Returns what was done.
   */
  timedOut(socket: Socket): 'write-stalled' | 'body-stalled' | 'idle' | 'kept' {
    if (socket.writableLength > 0) {
      socket.destroy();
      return 'write-stalled';
    }
    const gate = this.gates.get(socket);
    const current = gate?.running;
    if (current !== undefined && !current.req.complete && !gate!.holding()) {
      this.bodyLate(socket);
      return 'body-stalled';
    }
    if (current !== undefined) return 'kept';
    socket.destroy();
    return 'idle';
  }

  /** A request's body on `socket` is late (body-deadline.ts): refused in its turn, and the connection closed. */
  bodyLate(socket: Socket): void {
    this.framingError(socket, new GatewayError(408, 'body-timeout', 'the request body arrived too slowly (limits.body_timeout_ms, limits.body_min_rate)', { connection: 'close' }), undefined);
  }

  /**
   * The parser refused bytes on `socket` (or its request timed out). Where nothing is in flight the
   * refusal is answered now; otherwise in order, as the class comment says.
   */
  framingError(socket: Socket, error: GatewayError, parserCode: string | undefined): void {
    const gate = this.gates.get(socket);
    const busy = gate?.busy ?? false;
    if (parserCode === 'HPE_CLOSED_CONNECTION') {
      // Bytes after a request that closes the connection: RFC 9112 §9.6 says to ignore them; the request
      // itself is answered as usual and the connection then closes.
      if (!busy) socket.destroy();
      return;
    }
    if (gate === undefined || !busy) {
      this.options.refused(error.code);
      this.options.answerRaw(socket, error);
      return;
    }
    gate.refuse(error);
  }

  /** Shutting down: requests still waiting for their turn are not started. */
  drain(): void {
    this.draining = true;
  }
}

class Gate {
  private readonly queue: Waiting[] = [];
  private current: Running | undefined;
  private readonly reading: SocketReading;
  private readonly clock: BodyClock;
  /** No request after the current one is judged. */
  private last = false;
  /** A framing error found on the connection, and whether a response already carries it. */
  private refusal: GatewayError | undefined;
  private refusalAnswered = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: GateOptions,
    private readonly draining: () => boolean,
  ) {
    this.reading = new SocketReading(socket);
    this.clock = new BodyClock(socket, () => this.holding());
    socket.once('close', () => this.options.deadlines?.forget(this.clock));
  }

  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  /**
   * Whether the gateway, not the client, is why a body is not arriving: reading is stopped here (a
   * pipelined backlog) or by Node (answers the client has not taken), or the handler is not taking the
   * body it has (its buffer is full; e.g. it waits for room to judge it).
   */
  holding(): boolean {
    const req = this.clock.req ?? this.current?.req;
    return this.reading.stopped || this.socket.writableNeedDrain || (req !== undefined && req.readableLength >= req.readableHighWaterMark);
  }

  /** The request whose turn it is, if any. */
  get running(): Running | undefined {
    return this.current;
  }

  push(waiting: Waiting): void {
    this.queue.push(waiting);
    this.options.deadlines?.watch(this.clock, waiting.req);
    if (this.current !== undefined) {
      this.options.waiting?.(this.queue.length);
      if (this.queue.length >= this.options.pipelineDepth) this.reading.stop();
    }
    this.next();
  }

  refuse(error: GatewayError): void {
    if (this.refusal !== undefined) return;
    this.refusal = error;
    this.last = true;
    const current = this.current;
    if (current !== undefined && !current.committed && !current.res.headersSent) {
      // The request being judged has not left: it is refused in the connection's place (or answers a
      // refusal of its own that it had already decided on; either way the connection then closes).
      this.refusalAnswered = true;
      this.queue.length = 0;
      current.res.shouldKeepAlive = false;
      // A request whose own message is unfinished broke it itself (a bad chunk, a timeout): it gets the
      // parser's refusal, and its handler counts it; a complete one is cancelled by what came after it.
      if (current.req.complete) this.options.refused(error.code);
      current.cancel(current.req.complete ? cancellation(error) : error);
      return;
    }
    this.options.refused(error.code);
    // A request already answered, or committed and still to be answered: the refusal follows its response.
    this.next();
  }

  private next(): void {
    if (this.current !== undefined) return;
    const waiting = this.queue.shift();
    if (this.reading.stopped && this.queue.length <= this.options.pipelineDepth / 2) this.reading.start();
    if (waiting === undefined) {
      if (this.refusal !== undefined && !this.refusalAnswered) {
        this.refusalAnswered = true;
        this.options.answerRaw(this.socket, this.refusal);
      }
      return;
    }
    if (this.refusal !== undefined && !this.refusalAnswered) {
      // The first request not yet judged answers for the connection's framing error; none after it runs.
      this.refusalAnswered = true;
      this.queue.length = 0;
      this.start(waiting, cancellation(this.refusal));
      return;
    }
    if (this.last || this.draining()) {
      // Its response is not coming: the connection ends (Node does so itself after a closing response).
      this.queue.length = 0;
      if (!this.socket.destroyed) this.socket.end();
      return;
    }
    this.start(waiting);
  }

  private start({ req, res, expectContinue }: Waiting, cancelled?: GatewayError): void {
    const running = new Running(req, res);
    this.current = running;
    // 'close' follows 'finish' (next tick), and also comes when the connection dies mid-response.
    res.once('close', () => {
      // Closed before its response was complete: the connection died (a reset, the write timeout).
      if (!res.writableFinished) running.cancel(CLIENT_GONE);
      if (this.current === running) this.current = undefined;
      // The response closed the connection (Node ends the socket after a `Connection: close` response,
      // however that header came about) or the connection died: nothing after it is judged.
      if (!this.socket.writable) this.last = true;
      this.next();
    });
    const problem = this.options.checkHead(req);
    if (problem !== undefined) {
      this.last = true;
      res.shouldKeepAlive = false;
      this.options.refused(problem.code);
      sendError(res, problem);
      return;
    }
    if (cancelled !== undefined) {
      this.last = true;
      res.shouldKeepAlive = false;
      running.cancel(cancelled);
    } else if (!res.shouldKeepAlive || endsConnection(req)) {
      this.last = true;
      res.shouldKeepAlive = false;
    }
    if (expectContinue && cancelled === undefined) {
      // Its body starts only now, whatever time it spent waiting for its turn.
      this.options.deadlines?.watch(this.clock, req);
      res.writeContinue();
    }
    this.options.serve(req, res, running);
  }
}

/** What a request not yet forwarded is answered when its connection's framing broke. */
function cancellation(error: GatewayError): GatewayError {
  const close = { connection: 'close' };
  if (error.code === 'request-timeout' || error.code === 'body-timeout') return new GatewayError(408, error.code, error.detail, close);
  return new GatewayError(400, 'connection-error',
    `the connection broke HTTP/1.1 framing before this request was forwarded (${error.code}: ${error.detail}); it was not forwarded, and the connection is closed`, close);
}
