/**
 * Stops and restarts reading a server connection, the way Node's HTTP server itself does when a client's
 * responses back up (`socket._paused`, then `socket.pause()`; `_http_server.js`). A bare `socket.pause()`
 * does not hold on such a socket: every request body Node pushes asks its socket to resume
 * (IncomingMessage#_read), and only `_paused` keeps it stopped; with `_paused` set Node also stops its
 * parser once the read in hand is parsed. Node in turn clears the flag whenever the responses' own
 * backlog drains, so a connection that must stay stopped is stopped again on each `resume`.
 */
import type { Socket } from 'node:net';

/** The fields of Node's HTTP server connection this relies on (present since Node 10, unchanged in 24). */
interface ServerSocket extends Socket {
  _paused?: boolean;
  parser?: { pause(): void; resume(): void } | null;
}

export class SocketReading {
  private held = false;
  private guarded = false;

  constructor(private readonly socket: Socket) {}

  /** Whether reading is stopped here. */
  get stopped(): boolean {
    return this.held;
  }

  /** Stops reading after the read in hand; requests already received are still delivered. */
  stop(): void {
    if (this.held) return;
    this.held = true;
    const socket = this.socket as ServerSocket;
    if (!this.guarded) {
      this.guarded = true;
      // Ahead of Node's own `resume` listener, which restarts reading unless `_paused` is set.
      socket.prependListener('resume', () => {
        if (this.held) socket._paused = true;
      });
    }
    socket._paused = true;
    socket.pause();
  }

  /** Reads again, unless Node holds the connection for its own reason (responses the client has not taken). */
  start(): void {
    if (!this.held) return;
    this.held = false;
    const socket = this.socket as ServerSocket;
    if (socket.destroyed || socket.writableNeedDrain) return;
    socket._paused = false;
    socket.parser?.resume();
    socket.resume();
  }
}
