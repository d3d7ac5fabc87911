/**
 * Failed TLS handshakes on the telemetry listener (DNS interception, listen.tls): counted on /metrics by
 * reason and logged, at most one line a minute, so an instance that does not trust telegate's certificate
 * shows on telegate's side instead of failing silently on the instance's.
 *
 * A client that refuses the certificate either sends an alert (OpenSSL clients, curl: "unknown ca") or,
 * like Node.js (the RudderStack SDK in Automatisch), just closes the connection before the handshake ends:
 * both are counted. Nothing of the handshake is logged beyond the reason, the client's address and the
 * host name it asked for (SNI): no certificate, no key, no bytes.
 */
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { refusedByLimits } from './connection-limits';
import type { GatewayMetrics } from './metrics';

export type TlsFailureReason = 'certificate-refused' | 'closed-during-handshake' | 'not-tls' | 'protocol-mismatch' | 'timeout' | 'other';

const LOG_EVERY_MS = 60_000;
const MAX_SERVERNAME = 253;

const HINTS: Record<TlsFailureReason, string> = {
  'certificate-refused': 'the client refused telegate\'s certificate: make the instance trust the CA that issued it (Node.js: NODE_EXTRA_CA_CERTS)',
  'closed-during-handshake': 'the client closed the connection during the handshake, as Node.js clients do when they do not trust the certificate (NODE_EXTRA_CA_CERTS)',
  'not-tls': 'the client did not speak TLS (plain HTTP to the TLS port?)',
  'protocol-mismatch': 'no TLS version or cipher in common with the client',
  timeout: 'the handshake did not finish in time',
  other: 'the TLS handshake failed',
};

export function tlsFailureReason(error: NodeJS.ErrnoException): TlsFailureReason {
  const text = `${error.code ?? ''} ${error.message}`.toUpperCase();
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|ACCESS_DENIED|DECRYPT_ERROR)|UNKNOWN CA|BAD CERTIFICATE|CERTIFICATE UNKNOWN/.test(text)) return 'certificate-refused';
  if (/ECONNRESET|SOCKET HANG UP|EPIPE/.test(text)) return 'closed-during-handshake';
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG|WRONG VERSION NUMBER|HTTP REQUEST/.test(text)) return 'not-tls';
  if (/NO_SHARED_CIPHER|UNSUPPORTED_PROTOCOL|VERSION_TOO_LOW|NO_PROTOCOLS_AVAILABLE|INAPPROPRIATE_FALLBACK|NO SHARED CIPHER|UNSUPPORTED PROTOCOL/.test(text)) return 'protocol-mismatch';
  if (/TIMEOUT|ETIMEDOUT/.test(text)) return 'timeout';
  return 'other';
}

export function watchTlsHandshakeFailures(server: HttpsServer, metrics: GatewayMetrics, logger: Logger, now: () => number = Date.now): void {
  let lastLine = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  // A socket whose handshake failed is torn down already, its address gone: it is noted when the TCP
  // connection arrives, on the socket the TLS one wraps (Node's `_parent`).
  const addresses = new WeakMap<Socket, string>();
  server.on('connection', (raw: Socket) => { if (raw.remoteAddress) addresses.set(raw, raw.remoteAddress); });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    const raw = (socket as { _parent?: Socket })._parent;
    // Closed by limits.connections_per_client before its handshake: counted there, not a TLS problem.
    if (raw !== undefined && refusedByLimits(raw)) return;
    const reason = tlsFailureReason(error);
    metrics.tlsHandshakeFailures.inc({ reason });
    const t = now();
    if (t - lastLine < LOG_EVERY_MS) {
      unlogged++;
      return;
    }
    lastLine = t;
    const servername = typeof (socket as { servername?: unknown }).servername === 'string' ? String((socket as { servername: string }).servername).slice(0, MAX_SERVERNAME) : undefined;
    const parent = (socket as { _parent?: Socket })._parent;
    const client = socket.remoteAddress ?? (parent ? addresses.get(parent) : undefined);
    logger.warn({
      tls_failure: reason, ...(client ? { client } : {}), ...(servername ? { servername } : {}),
      ...(unlogged > 0 ? { not_logged_since_last_line: unlogged } : {}),
    }, `TLS handshake failed: ${HINTS[reason]} (counted in telegate_tls_handshake_failures_total; at most one such line a minute)`);
    unlogged = 0;
  });
}
