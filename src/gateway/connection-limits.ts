/**
 * What one client may hold of a telemetry listener (issue 14, "fair connections"):
 *
 * - `limits.connections` per listener (Node's maxConnections; counted here as `connection-limit`);
 * - `limits.connections_per_client` per peer address, across every listener of the process: past it a new
 *   connection is closed as it arrives (`per-client-limit`), so one peer cannot take the whole budget.
 *   Behind a NAT or a load balancer, instances share an address and so share this budget;
 * - `limits.write_timeout_ms`: Node's socket timeout (nothing read or written for that long) ends a
 *   connection whose response the client does not take, a body that stopped, and an idle connection;
 *   connection-gate.ts decides which, since a request waiting for its vendor is quiet too;
 * - a client that half-closes after its request (`shutdown(SHUT_WR)`, e.g. `socket.end()`) still hears
 *   the answer: its read side is open (Node's `httpAllowHalfOpen`; it ends the connection after the last
 *   response instead of at once).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ConnectionGates } from './connection-gate';
import type { ConnectionMetrics } from './connection-metrics';

export interface ConnectionLimits {
  connections: number;
  perClient: number;
  writeTimeoutMs: number;
}

/**
 * Connections closed here as they arrived. On a TLS listener the TLS socket wrapping one then fails its
 * handshake; tls-handshake-failures.ts asks this so such a refusal is not counted as a certificate problem.
 */
const refusedOnArrival = new WeakSet<Socket>();

export function refusedByLimits(raw: Socket): boolean {
  return refusedOnArrival.has(raw);
}

/** Connections open per peer address, shared by every listener of one gateway. */
export class PeerCounts {
  private readonly open = new Map<string, number>();

  /** Counts `socket` in, or returns false when its peer already holds `max`. */
  admit(socket: Socket, max: number): boolean {
    const peer = socket.remoteAddress ?? '';
    const count = this.open.get(peer) ?? 0;
    if (count >= max) return false;
    this.open.set(peer, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(peer) ?? 1) - 1;
      if (left <= 0) this.open.delete(peer);
      else this.open.set(peer, left);
    });
    return true;
  }
}

/** A refusal is logged at most once a minute per listener: a client retrying in a loop must not flood the log. */
const LOG_EVERY_MS = 60_000;

export function limitConnections(server: Server, limits: ConnectionLimits, peers: PeerCounts, gates: ConnectionGates, metrics: ConnectionMetrics, logger: Logger): void {
  server.maxConnections = limits.connections;
  let lastLine = Number.NEGATIVE_INFINITY;
  const note = (reason: 'connection-limit' | 'per-client-limit', client: string | undefined): void => {
    metrics.refused.inc({ reason });
    const now = Date.now();
    if (now - lastLine < LOG_EVERY_MS) return;
    lastLine = now;
    logger.warn({ refused: reason, ...(client ? { client } : {}), limit: reason === 'connection-limit' ? limits.connections : limits.perClient },
      reason === 'connection-limit'
        ? 'telemetry listener full (limits.connections): new connections are closed as they arrive (counted in telegate_connections_refused_total; at most one such line a minute)'
        : 'one address holds limits.connections_per_client connections: its new ones are closed as they arrive; behind a NAT or load balancer raise the limit (counted in telegate_connections_refused_total; at most one such line a minute)');
  };
  server.on('drop', (data?: { remoteAddress?: string }) => note('connection-limit', data?.remoteAddress));
  server.on('connection', (socket: Socket) => {
    if (peers.admit(socket, limits.perClient)) return;
    note('per-client-limit', socket.remoteAddress);
    refusedOnArrival.add(socket);
    socket.destroy();
  });
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Node's own keep-alive timeout (5 s) still ends idle connections between requests; this one governs
  // while a request is on the connection, and a connection that never sends one.
  server.timeout = limits.writeTimeoutMs;
  server.on('timeout', (socket: Socket) => {
    const done = gates.timedOut(socket);
    if (done === 'write-stalled' || done === 'body-stalled') metrics.timedOut.inc({ reason: done });
  });
}
