/**
 * The gateway's Prometheus metrics (SPEC §8), on a registry of its own so two gateways in one process
 * (tests) never share counters. Labels are bounded sets (vendors and endpoints come from the policy
 * files, decisions and reasons from code): a field path never becomes a label, because a hostile client
 * could mint unbounded series with random keys. Per-path detail lives in the audit log (`audit drift`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'vendor' | 'endpoint' | 'level' | 'decision'>;
  rejections: Counter<'reason'>;
  fields: Counter<'vendor' | 'endpoint' | 'action'>;
  unknownFields: Counter<'vendor' | 'endpoint'>;
  redactions: Counter<'vendor' | 'endpoint' | 'detector'>;
  headersRefused: Counter<'vendor' | 'header' | 'reason'>;
  bytesSent: Counter<'vendor'>;
  upstreamSeconds: Histogram<'vendor' | 'status'>;
  auditWriteSeconds: Histogram;
  reloads: Counter<'result'>;
  policyInfo: Gauge<'vendor' | 'digest'>;
  tlsHandshakeFailures: Counter<'reason'>;
  judgeBudgetBytes: Gauge;
  judging: Gauge<'where'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'telegate_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'telegate_requests_total', help: 'Requests on vendor routes, by the decision taken', labelNames: ['vendor', 'endpoint', 'level', 'decision'], registers }),
    rejections: new Counter({ name: 'telegate_rejections_total', help: 'Requests refused, by reason (also those matching no vendor route)', labelNames: ['reason'], registers }),
    fields: new Counter({ name: 'telegate_fields_total', help: 'Field occurrences dropped, hashed or found invalid (failed a constraint or shape) by the policy', labelNames: ['vendor', 'endpoint', 'action'], registers }),
    unknownFields: new Counter({ name: 'telegate_unknown_fields_total', help: 'Field occurrences no rule covers, removed by default deny (schema drift)', labelNames: ['vendor', 'endpoint'], registers }),
    redactions: new Counter({ name: 'telegate_redactions_total', help: 'Values removed because a detector found something in them, by detector kind', labelNames: ['vendor', 'endpoint', 'detector'], registers }),
    headersRefused: new Counter({ name: 'telegate_headers_refused_total', help: 'Allowed request headers not forwarded: their value failed its constraint (reason invalid) or a detector found something (reason: the detector)', labelNames: ['vendor', 'header', 'reason'], registers }),
    bytesSent: new Counter({ name: 'telegate_upstream_bytes_total', help: 'Body bytes sent to vendors', labelNames: ['vendor'], registers }),
    upstreamSeconds: new Histogram({
      name: 'telegate_upstream_duration_seconds', help: 'Time from forwarding to the vendor\'s reply, by vendor and status (or error)',
      labelNames: ['vendor', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    }),
    auditWriteSeconds: new Histogram({
      name: 'telegate_audit_write_duration_seconds', help: 'Time until an egress record is durable on disk',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers,
    }),
    reloads: new Counter({ name: 'telegate_policy_reloads_total', help: 'Policy set loads, by result (a refused set leaves the running one in place)', labelNames: ['result'], registers }),
    // Summed over workers (src/cluster) every other series is a total; this one must stay 1.
    policyInfo: new Gauge({ name: 'telegate_policy_info', help: 'The policy digest in force per vendor (value 1)', labelNames: ['vendor', 'digest'], registers, aggregator: 'max' }),
    judgeBudgetBytes: new Gauge({ name: 'telegate_judge_budget_bytes', help: 'Bytes of limits.judge_budget_bytes taken by bodies being read and judged now', registers }),
    judging: new Gauge({ name: 'telegate_judging_bodies', help: 'Bodies being parsed, judged and serialized on a judge thread now (where="thread")', labelNames: ['where'], registers }),
    tlsHandshakeFailures: new Counter({ name: 'telegate_tls_handshake_failures_total', help: 'TLS handshakes on the telemetry listener that failed, by reason (a client that does not trust the certificate: certificate-refused or closed-during-handshake)', labelNames: ['reason'], registers }),
  };
}
