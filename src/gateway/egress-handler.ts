/**
 * One request, one road (docs/architecture in ENGINEERING.md):
 * route -> read within limits -> decode -> parse -> apply the compiled policy at the enforced level ->
 * serialize -> append the egress record and wait until it is durable -> forward telegate's own bytes ->
 * relay the vendor's reply -> record the outcome.
 *
 * Fail closed: any step that fails answers the instance itself and nothing is forwarded; a request that
 * reached a vendor route leaves an egress record (`rejected`, `blocked` or `forwarded`) whatever happens.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { AuditWriter, Decision, EgressFields } from '../audit/types';
import { judgeHeaders, type HeaderJudgement, type Pseudonymizer } from '../policy';
import type { ShadowDifference } from '../policy/shadow';
import { decodeBody } from './body-decode';
import { drainBody } from './body-drain';
import { readRawBody } from './body-read';
import type { Cancellation, RequestSlot } from './connection-gate';
import { GatewayError, sendError } from './http-error';
import { judgeBody, type FieldCounts, type Judged } from './judge';
import { largerThanBudget, type JudgeBudget } from './judge-budget';
import type { JudgePool } from './judge-pool';
import { createRequestLog, type RequestLogFields } from './logger';
import type { GatewayMetrics } from './metrics';
import type { Route } from './route-table';
import type { RuntimeSnapshot } from './policy-runtime';
import type { UpstreamOutcome } from './upstream-proxy';

export interface EgressLimits { bodyBytes: number; inflatedBytes: number; inflateRatio: number; depth: number; values: number }

export interface EgressDeps {
  runtime: () => RuntimeSnapshot;
  audit: AuditWriter;
  pseudonymizer: Pseudonymizer;
  limits: EgressLimits;
  /** Judge threads for large bodies (judge-pool.ts); none: every body is judged on the event loop. */
  pool?: JudgePool;
  /** Bytes being judged at once (judge-budget.ts); none: unbounded (tests driving the handler alone). */
  budget?: JudgeBudget;
  metrics: GatewayMetrics;
  logger: Logger;
}

type PolicyOutput = Judged;

const NOTHING: FieldCounts = { dropped: {}, hashed: {}, unknown: {}, invalid: {}, redacted: {}, detections: {} };
const NO_HEADERS: HeaderJudgement = { forwarded: {}, refused: {} };
/** The client version the audit log records, for `audit drift` by release: the first of these forwarded. */
const CLIENT_VERSION_HEADERS = ['x-coder-version', 'user-agent'];
/**
 * A User-Agent that was not forwarded is recorded only when it is a plain product token such as
 * `analytics-node/1.1.5`: telegate's own note of the release, in a shape that holds no person or host.
 */
const PRODUCT_TOKEN = /^[A-Za-z][A-Za-z0-9._-]{0,63}\/v?[0-9][A-Za-z0-9._+-]{0,63}$/;

/**
 * What every request on one route has in common, made on the route's first request and reused: the
 * record's constant fields and the metric label sets (prom-client hashes a label object on every call;
 * a fresh spread copy per call cost as much again).
 */
interface RouteShared {
  vendor: string;
  endpoint: string;
  level: 0 | 1 | 2;
  /** The shadow level, when one is configured and differs from the enforced level (at level 0 nothing is judged). */
  shadow: 1 | 2 | undefined;
  policy: string;
  upstream: string;
  requests: Readonly<Record<Decision, Readonly<Record<'vendor' | 'endpoint' | 'level' | 'decision', string>>>>;
  vendorLabels: Readonly<Record<'vendor', string>>;
  dropLabels: Readonly<Record<'vendor' | 'endpoint' | 'action', string>>;
  hashLabels: Readonly<Record<'vendor' | 'endpoint' | 'action', string>>;
  invalidLabels: Readonly<Record<'vendor' | 'endpoint' | 'action', string>>;
  unknownLabels: Readonly<Record<'vendor' | 'endpoint', string>>;
  /** The configured limits, each lowered where the endpoint sets a smaller one of its own (SPEC §5). */
  limits: EgressLimits;
}

/** The smaller of each configured limit and the endpoint's own. */
export function effectiveLimits(config: EgressLimits, own: Route['endpoint']['limits']): EgressLimits {
  if (own === undefined) return config;
  const min = (a: number, b: number | undefined): number => (b === undefined ? a : Math.min(a, b));
  return {
    bodyBytes: min(config.bodyBytes, own.bodyBytes),
    inflatedBytes: min(config.inflatedBytes, own.inflatedBytes),
    inflateRatio: config.inflateRatio,
    depth: min(config.depth, own.depth),
    values: min(config.values, own.values),
  };
}

function routeShared(route: Route, limits: EgressLimits): RouteShared {
  const vendor = route.vendor.policy.vendor;
  const endpoint = route.endpoint.path;
  const level = route.vendor.level;
  const requests = (decision: Decision) => Object.freeze({ vendor, endpoint, level: String(level), decision });
  const shadow = route.vendor.shadowLevel;
  return {
    vendor, endpoint, level,
    shadow: shadow !== undefined && level !== 0 && shadow !== level ? shadow : undefined,
    policy: route.vendor.policy.digest,
    upstream: route.target.href,
    requests: Object.freeze({ forwarded: requests('forwarded'), blocked: requests('blocked'), rejected: requests('rejected') }),
    vendorLabels: Object.freeze({ vendor }),
    dropLabels: Object.freeze({ vendor, endpoint, action: 'drop' }),
    hashLabels: Object.freeze({ vendor, endpoint, action: 'hash' }),
    invalidLabels: Object.freeze({ vendor, endpoint, action: 'invalid' }),
    unknownLabels: Object.freeze({ vendor, endpoint }),
    limits: effectiveLimits(limits, route.endpoint.limits),
  };
}

const ON_THREAD = Object.freeze({ where: 'thread' });

/** Without a connection gate (tests driving the handler alone): never cancelled. */
const UNGATED: RequestSlot = { reason: undefined, onCancel: () => () => undefined, caughtUp: () => Promise.resolve(), commit: () => true };

export function createEgressHandler(deps: EgressDeps): (req: IncomingMessage, res: ServerResponse, slot?: RequestSlot) => Promise<void> {
  const { audit, metrics, logger, limits } = deps;
  const requestLog = createRequestLog(logger);
  // Keyed by the route object: a reloaded policy set brings new routes, and the old ones' entries go with them.
  const shared = new WeakMap<Route, RouteShared>();

  return async (req, res, slot = UNGATED) => {
    const id = randomUUID();
    const started = performance.now();
    res.setHeader('x-request-id', id);
    // A reload during this request does not change the policy it is judged by.
    const snapshot = deps.runtime();
    const path = pathOf(req.url ?? '/');
    const routed = snapshot.routes.resolve(req.headers.host, path, req.method ?? 'GET');
    if (routed.kind !== 'route') {
      const error = routed.kind === 'not-found'
        ? new GatewayError(404, 'not-found', routed.detail, { connection: 'close' })
        : new GatewayError(405, 'method-not-allowed', routed.detail, { allow: routed.allow, connection: 'close' });
      metrics.rejections.inc({ reason: error.code });
      sendError(res, error);
      requestLog({ id, status: error.status, reason: error.code, ms: since(started) }, 'no vendor route');
      return;
    }

    const { route } = routed;
    let on = shared.get(route);
    if (on === undefined) {
      on = routeShared(route, limits);
      shared.set(route, on);
    }
    const { vendor, endpoint, level } = on;
    const client = req.socket.remoteAddress ?? 'unknown';
    // Headers are judged before anything else: what is refused is reported even when the body is.
    const headers = level === 0 ? NO_HEADERS : judgeHeaders(route.vendor.policy, level, req.headers);
    const clientVersion = clientVersionOf(headers.forwarded, req);
    /** The egress record of this request, with what the policy decided. */
    const egress = (decision: Decision, counts: FieldCounts & { shadow?: ShadowDifference; sha256?: string }, reason?: string, upstream?: string, bodyBytes?: Buffer): EgressFields => ({
      id, vendor, endpoint, level, policy: on.policy, decision, reason, upstream, client, client_version: clientVersion,
      headers: decision === 'forwarded' ? headers.forwarded : {},
      headers_refused: Object.keys(headers.refused).length === 0 ? undefined : headers.refused,
      bodyBytes, bodySha256: bodyBytes === undefined ? undefined : counts.sha256, dropped: counts.dropped, hashed: counts.hashed, unknown: counts.unknown,
      invalid: counts.invalid, redacted: counts.redacted, detections: counts.detections, unlisted: counts.unlisted,
      ...(counts.shadow === undefined ? {} : { shadow: counts.shadow }),
    });

    let record: EgressFields | undefined;
    try {
      if (level === 0) {
        // Not limits.body_bytes: nothing is kept, and the instance must get the vendor's usual reply (body-drain.ts).
        await drainBody(req, slot);
        await slot.caughtUp();
        committed(slot);
        record = egress('blocked', NOTHING);
        // Nothing leaves at level 0, so a failing audit disk does not turn the vendor's normal reply into a
        // 503: RudderStack SDK 3.x crashes its host process when a batch finally fails. The failure is
        // logged and shows on /readyz and in the audit-write metrics.
        await appendDurably(record).catch((error: unknown) => {
          logger.error({ id, vendor, reason: error instanceof GatewayError ? error.code : 'audit-unavailable' }, 'blocked record not written');
        });
        const reply = route.endpoint.localReply;
        res.writeHead(reply.status, reply.body === '' ? {} : { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
        res.end(reply.body);
        metrics.requests.inc(on.requests.blocked);
        requestLog({ id, vendor, endpoint, telemetry_level: level, decision: 'blocked', status: reply.status, ms: since(started) }, 'blocked at level 0');
        return;
      }

      const output = await policyOutput(req, route, level, slot, on.shadow, on.limits);
      const bytes = output.bytes;
      // The last moment its connection can cancel it (connection-gate.ts): from the record on, it leaves.
      await slot.caughtUp();
      committed(slot);
      // The audit record embeds the very Buffer the vendor is sent: one encoding, and byte-identical by construction.
      record = egress('forwarded', output, undefined, on.upstream, bytes);
      await appendDurably(record);
      countFields(on, output);
      for (const [header, reason] of Object.entries(headers.refused)) metrics.headersRefused.inc({ vendor, header, reason });
      metrics.requests.inc(on.requests.forwarded);
      metrics.bytesSent.inc(on.vendorLabels, bytes.length);

      snapshot.proxies.get(vendor)!.forward(req, res, {
        route,
        body: bytes,
        headers: headers.forwarded,
        done: (outcome) => {
          recordOutcome(id, vendor, outcome);
          requestLog({
            id, vendor, endpoint, telemetry_level: level, decision: 'forwarded',
            status: outcome.kind === 'response' ? outcome.status : undefined,
            error: outcome.kind === 'error' ? outcome.error : undefined,
            bytes: bytes.length, upstream_ms: outcome.ms, ms: since(started),
          }, 'forwarded');
        },
      });
    } catch (caught) {
      const error = caught instanceof GatewayError ? caught : new GatewayError(500, 'internal-error', 'telegate failed on this request; nothing was forwarded');
      metrics.rejections.inc({ reason: error.code });
      if (record === undefined) {
        // Refused before anything could leave: say so in the audit log (best effort: the refusal stands either way).
        metrics.requests.inc(on.requests.rejected);
        await appendDurably(egress('rejected', NOTHING, error.code)).catch(() => undefined);
      }
      sendError(res, error);
      const fields: RequestLogFields = { id, vendor, endpoint, telemetry_level: level, decision: record === undefined ? 'rejected' : 'failed', status: error.status, reason: error.code, ms: since(started) };
      requestLog(fields, 'refused');
    }
  };

  /**
   * Read, decode, judge, serialize: the bytes to send and what the policy did. The body as received, its
   * parsed tree, the policy's output tree and the JSON text live only inside this call, so none of them
   * is still held while the record is made durable and the bytes go upstream (for a 50 MB snapshot each
   * is tens of MB, and the peak is what an instance's memory limit must cover).
   */
  async function policyOutput(req: IncomingMessage, route: Route, level: 1 | 2, cancellation: Cancellation, shadow: 1 | 2 | undefined, limits: EgressLimits): Promise<PolicyOutput> {
    // The budget is taken before the body is read (as declared; a declared length over the limit is
    // refused by the read), then grown to what it decodes to; given back once the output is serialized.
    const declared = Number(req.headers['content-length']);
    const charge = deps.budget === undefined ? undefined
      : await deps.budget.take(Number.isSafeInteger(declared) && declared <= limits.bodyBytes ? declared : 0);
    try {
      const raw = await readRawBody(req, limits.bodyBytes, cancellation);
      let charged = Number.isSafeInteger(declared) ? declared : 0;
      await charge?.grow(raw.length - charged);
      charged = Math.max(charged, raw.length);
      // Decoding stops at the budget too: a body past it is refused whole (judge-budget.ts), so it need not exist first.
      const budget = deps.budget;
      const capped = budget !== undefined && budget.capacity < limits.inflatedBytes;
      const decoded = await decodeBody(raw, header(req, 'content-encoding'), capped ? budget.capacity : limits.inflatedBytes, limits.inflateRatio)
        .catch((error: unknown) => {
          throw capped && error instanceof GatewayError && error.code === 'inflated-too-large' ? largerThanBudget(budget.capacity) : error;
        });
      await charge?.grow(decoded.length - charged);
      const request = { endpoint: route.endpoint, level, shadow, limits: { depth: limits.depth, values: limits.values } };
      // A large body is judged on a judge thread (judge-pool.ts), so the event loop keeps answering.
      let body = decoded;
      if (deps.pool !== undefined && body.length >= deps.pool.threshold) {
        metrics.judging.inc(ON_THREAD);
        try {
          const judged = await deps.pool.judge(body, route.vendor.policy, request);
          if (!Buffer.isBuffer(judged)) return judged;
          body = judged; // the thread's policy file has moved on: the bytes came back to be judged here
        } finally {
          metrics.judging.dec(ON_THREAD);
        }
      }
      // On the event loop the gauge can only be read before or after: it counts only what is judged elsewhere.
      return judgeBody(body, request, deps.pseudonymizer);
    } finally {
      charge?.release();
    }
  }

  async function appendDurably(fields: EgressFields): Promise<void> {
    const t0 = performance.now();
    try {
      await audit.appendEgress(fields);
    } catch {
      // The record is not on disk: nothing may leave, and the instance hears why (not the disk's details).
      throw new GatewayError(503, 'audit-unavailable', 'the audit log cannot be written; nothing was forwarded', { 'retry-after': '30' });
    } finally {
      metrics.auditWriteSeconds.observe((performance.now() - t0) / 1000);
    }
  }

  function recordOutcome(id: string, vendor: string, outcome: UpstreamOutcome): void {
    metrics.upstreamSeconds.observe({ vendor, status: outcome.kind === 'response' ? String(outcome.status) : outcome.error }, outcome.ms / 1000);
    const fields = outcome.kind === 'response'
      ? { id, status: outcome.status, ms: outcome.ms }
      : { id, ...(outcome.status === undefined ? {} : { status: outcome.status }), ms: outcome.ms, error: outcome.error };
    audit.appendOutcome(fields).catch((err: unknown) => {
      logger.error({ id, err: err instanceof Error ? err.message : String(err) }, 'outcome record not written');
    });
  }

  function countFields(on: RouteShared, result: FieldCounts): void {
    const unlisted = result.unlisted?.values;
    const dropped = total(result.dropped) + (unlisted?.dropped ?? 0);
    const hashed = total(result.hashed) + (unlisted?.hashed ?? 0);
    const unknown = total(result.unknown) + (unlisted?.unknown ?? 0);
    const invalid = total(result.invalid) + (unlisted?.invalid ?? 0);
    if (dropped) metrics.fields.inc(on.dropLabels, dropped);
    if (hashed) metrics.fields.inc(on.hashLabels, hashed);
    if (invalid) metrics.fields.inc(on.invalidLabels, invalid);
    if (unknown) metrics.unknownFields.inc(on.unknownLabels, unknown);
    for (const [detector, n] of Object.entries(result.detections)) {
      metrics.redactions.inc({ vendor: on.vendor, endpoint: on.endpoint, detector }, n);
    }
  }
}

/** Throws the cancellation when the request's connection broke framing before this point (synchronous). */
function committed(slot: RequestSlot): void {
  if (!slot.commit()) throw slot.reason ?? new GatewayError(400, 'connection-error', 'the connection was refused before this request was forwarded');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The client version for the record: a version header as it was forwarded (whole: the record's
 * `headers` hold the same value, so the two never disagree), else the User-Agent when it is a plain
 * product token; else none. A value that did not leave is not written otherwise (SPEC §6).
 */
function clientVersionOf(forwarded: Readonly<Record<string, string>>, req: IncomingMessage): string | undefined {
  for (const name of CLIENT_VERSION_HEADERS) {
    const value = forwarded[name];
    if (value) return value;
  }
  const agent = header(req, 'user-agent');
  return agent !== undefined && PRODUCT_TOKEN.test(agent) ? agent : undefined;
}

function total(counts: Readonly<Record<string, number>>): number {
  let sum = 0;
  for (const n of Object.values(counts)) sum += n;
  return sum;
}

function since(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
