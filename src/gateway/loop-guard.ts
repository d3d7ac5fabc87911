/**
 * Detects telegate forwarding to itself. With DNS interception, the vendor's name resolves to telegate
 * for the instances; if telegate's own resolver gives the same answer, every forward comes back in as a
 * new request, is judged and forwarded again, and the audit log fills with copies (a review measured
 * ~1,000 records in 2 s from one request). Via, the header that would reveal the loop, is never added
 * (SPEC §2). So the guard remembers every upstream connection telegate opens, both its ends; a request
 * arriving on the other side of one of them is telegate talking to itself and is refused. Both ends, not
 * the local one alone: Linux gives the same local port to two connections at once when their
 * destinations differ, so an instance's connection can leave from the very port of an open upstream
 * connection (seen once keep-alive held upstream connections open: a test client refused 508).
 *
 * With several workers (src/cluster) a forward can come back into another worker, which must know its
 * siblings' ends too: each end is announced to the supervisor as the connection opens (before the
 * request's bytes are written), and a request from an address of this host that is not one of the
 * worker's own ends is checked against the supervisor's list, once per connection.
 */
import type { Socket } from 'node:net';
import { networkInterfaces } from 'node:os';

/** The other workers' upstream ends, kept by the supervisor. */
export interface SiblingEnds {
  announce(end: string, open: boolean): void;
  includes(end: string): Promise<boolean>;
}

export class LoopGuard {
  private readonly ends = new Set<string>();
  private readonly tracked = new WeakSet<Socket>();
  /** Per incoming connection, what the siblings answered (asked once per connection). */
  private readonly checked = new WeakMap<Socket, Promise<boolean>>();
  private readonly localAddresses: Set<string>;

  constructor(private readonly siblings?: SiblingEnds) {
    // Only a worker asks its siblings, and only about peers on this host.
    this.localAddresses = siblings
      ? new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => plain(i.address))))
      : new Set();
  }

  /** Remember an upstream connection's two ends for as long as it is open. */
  track(socket: Socket): void {
    if (this.tracked.has(socket)) return;
    this.tracked.add(socket);
    const remember = (): void => {
      const { localAddress, localPort, remoteAddress, remotePort } = socket;
      if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return;
      const end = connection(localAddress, localPort, remoteAddress, remotePort);
      this.ends.add(end);
      this.siblings?.announce(end, true);
      socket.once('close', () => {
        this.ends.delete(end);
        this.siblings?.announce(end, false);
      });
    };
    // Registered before the request is written, so this listener runs before the pending bytes are sent.
    // While connecting, the local end may already be known but the remote one is not.
    if (socket.connecting) socket.once('connect', remember);
    else remember();
  }

  /**
   * Whether the connection a request came on is one of telegate's own upstream connections, this
   * process's or (with workers) a sibling's. Answers at once unless a sibling must be asked.
   */
  comesBack(socket: Socket): boolean | Promise<boolean> {
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return false;
    // Seen from this side, the upstream connection's local end is the peer and its remote end is here.
    const end = connection(remoteAddress, remotePort, localAddress, localPort);
    if (this.ends.has(end)) return true;
    // Upstream ends are this host's addresses: a peer elsewhere cannot be one.
    if (!this.siblings || !this.isLocal(remoteAddress)) return false;
    let answer = this.checked.get(socket);
    if (!answer) {
      answer = this.siblings.includes(end);
      this.checked.set(socket, answer);
    }
    return answer;
  }

  private isLocal(address: string): boolean {
    const a = plain(address);
    return a.startsWith('127.') || this.localAddresses.has(a);
  }
}

function plain(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** One connection, as `from|port>to|port` seen from the side that opened it. */
function connection(fromAddress: string, fromPort: number, toAddress: string, toPort: number): string {
  return `${plain(fromAddress)}|${fromPort}>${plain(toAddress)}|${toPort}`;
}
