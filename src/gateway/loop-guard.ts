/**
 * Detects telegate forwarding to itself. With DNS interception, the vendor's name resolves to telegate
 * for the instances; if telegate's own resolver gives the same answer, every forward comes back in as a
 * new request, is judged and forwarded again, and the audit log fills with copies (a review measured
 * ~1,000 records in 2 s from one request). Via, the header that would reveal the loop, is never added
 * (SPEC §2). So the guard remembers the local end of every upstream connection telegate opens; a request
 * arriving from one of them is telegate talking to itself and is refused.
 */
import type { Socket } from 'node:net';

export class LoopGuard {
  private readonly ends = new Set<string>();
  private readonly tracked = new WeakSet<Socket>();

  /** Remember an upstream connection's local address and port for as long as it is open. */
  track(socket: Socket): void {
    if (this.tracked.has(socket)) return;
    this.tracked.add(socket);
    const remember = (): void => {
      if (socket.localAddress === undefined || socket.localPort === undefined) return;
      const end = key(socket.localAddress, socket.localPort);
      this.ends.add(end);
      socket.once('close', () => this.ends.delete(end));
    };
    if (socket.localPort !== undefined) remember();
    else socket.once('connect', remember);
  }

  /** True when a request's peer is one of telegate's own upstream connections. */
  isOwn(remoteAddress: string | undefined, remotePort: number | undefined): boolean {
    return remoteAddress !== undefined && remotePort !== undefined && this.ends.has(key(remoteAddress, remotePort));
  }
}

function key(address: string, port: number): string {
  return `${address.startsWith('::ffff:') ? address.slice(7) : address}|${port}`;
}
