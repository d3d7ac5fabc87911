/**
 * What the supervising process and its workers say to each other over node:cluster's IPC channel (node's
 * own cluster messages share it; each side ignores what it does not know).
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ReadinessReport } from '../gateway/admin-app';
import type { ReloadOutcome } from '../gateway/gateway-core';

/** Supervisor -> worker questions, each answered by one reply carrying the same `id`. */
export type Question = { type: 'telegate:reload'; trigger: string } | { type: 'telegate:readiness' } | { type: 'telegate:metrics' };

/** Supervisor -> worker. */
export type ToWorker =
  | (Question & { id: number })
  /** Stop as on SIGTERM: finish what is in flight, close the audit chain, exit. */
  | { type: 'telegate:stop'; graceMs: number }
  /** Whether the connection a worker asked about is one of a sibling's upstream connections. */
  | { type: 'telegate:loop-answer'; id: number; known: boolean };

/** Worker -> supervisor. */
export type FromWorker =
  /** The worker's audit chain is open: from now on, stopping it must close the chain. */
  | { type: 'telegate:opened' }
  /** Serving: every listener's URL (`url` is the first). */
  | { type: 'telegate:started'; url: string; urls: string[] }
  | { type: 'telegate:start-failed'; errors: string[] }
  | { type: 'telegate:reloaded'; id: number; outcome: ReloadOutcome }
  | { type: 'telegate:readiness'; id: number; report: ReadinessReport }
  /** The worker's registry as prom-client's getMetricsAsJSON gives it, for AggregatorRegistry.aggregate. */
  | { type: 'telegate:metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  /** An upstream connection (its two ends) opened or closed: the loop guard across workers. */
  | { type: 'telegate:loop-end'; end: string; open: boolean }
  | { type: 'telegate:loop-ask'; id: number; end: string };

const TO_WORKER = new Set<string>(['telegate:reload', 'telegate:readiness', 'telegate:metrics', 'telegate:stop', 'telegate:loop-answer']);
const FROM_WORKER = new Set<string>(['telegate:opened', 'telegate:started', 'telegate:start-failed', 'telegate:reloaded', 'telegate:readiness', 'telegate:metrics', 'telegate:loop-end', 'telegate:loop-ask']);

function typeOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const type = (message as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

export function isToWorker(message: unknown): message is ToWorker {
  return TO_WORKER.has(typeOf(message) ?? '');
}

export function isFromWorker(message: unknown): message is FromWorker {
  return FROM_WORKER.has(typeOf(message) ?? '');
}
