/**
 * What the connection limits did (connection-limits.ts, connection-gate.ts), on the gateway's registry.
 * Apart from metrics.ts so the request metrics' interface stays as it is.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ConnectionMetrics {
  /** Connections closed as they arrived. */
  refused: Counter<'reason'>;
  /** Connections ended by limits.write_timeout_ms while a response or a body was stuck. */
  timedOut: Counter<'reason'>;
  /** Requests waiting for their turn on one connection, observed as each joins a busy connection. */
  pipelined: Histogram;
}

export function createConnectionMetrics(registry: Registry): ConnectionMetrics {
  const registers = [registry];
  return {
    refused: new Counter({
      name: 'telegate_connections_refused_total', registers, labelNames: ['reason'],
      help: 'Telemetry connections closed as they arrived: limits.connections reached on the listener (connection-limit), or the peer address already holds limits.connections_per_client (per-client-limit)',
    }),
    timedOut: new Counter({
      name: 'telegate_connections_timed_out_total', registers, labelNames: ['reason'],
      help: 'Telemetry connections ended after limits.write_timeout_ms without progress: a response the client did not read (write-stalled), a body that stopped arriving (body-stalled)',
    }),
    pipelined: new Histogram({
      name: 'telegate_pipelined_requests_waiting', registers,
      help: 'Requests parsed and waiting for their turn on one connection, observed when a request arrives on a busy connection (reading stops at 16; Node parses one whole read, up to 64 KiB, at a time)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    }),
  };
}
