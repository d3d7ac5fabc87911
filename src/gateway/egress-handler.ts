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
import type { AuditWriter, EgressFields } from '../audit/types';
import { parseJson } from '../json/parse';
import { serializeJson } from '../json/serialize';
import { transform, type Pseudonymizer, type TransformResult } from '../policy';
import { decodeBody } from './body-decode';
import { readRawBody } from './body-read';
import { GatewayError, sendError } from './http-error';
import type { GatewayMetrics } from './metrics';
import type { Route } from './route-table';
import type { RuntimeSnapshot } from './policy-runtime';
import type { UpstreamOutcome } from './upstream-proxy';

export interface EgressLimits { bodyBytes: number; inflatedBytes: number; depth: number; values: number }

export interface EgressDeps {
  runtime: () => RuntimeSnapshot;
  audit: AuditWriter;
  pseudonymizer: Pseudonymizer;
  limits: EgressLimits;
  metrics: GatewayMetrics;
  logger: Logger;
}

type FieldCounts = Pick<TransformResult, 'dropped' | 'hashed' | 'unknown'>;
interface PolicyOutput extends FieldCounts { bytes: Buffer }

const NOTHING: FieldCounts = { dropped: {}, hashed: {}, unknown: {} };
/** The client version the audit log records, for `audit drift` by release. */
const CLIENT_VERSION_HEADERS = ['x-coder-version', 'user-agent'];
const MAX_CLIENT_VERSION = 128;

export function createEgressHandler(deps: EgressDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { audit, metrics, logger, limits } = deps;

  return async (req, res) => {
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
      logger.info({ id, status: error.status, reason: error.code, ms: since(started) }, 'no vendor route');
      return;
    }

    const { route } = routed;
    const level = route.vendor.level;
    const base = {
      id,
      vendor: route.vendor.policy.vendor,
      endpoint: route.endpoint.path,
      level,
      policy: route.vendor.policy.digest,
      client: req.socket.remoteAddress ?? 'unknown',
      ...clientVersion(req),
    };
    const labels = { vendor: base.vendor, endpoint: base.endpoint, level: String(level) };
    const log = (fields: Record<string, unknown>, message: string): void =>
      logger.info({ id, vendor: base.vendor, endpoint: base.endpoint, level, ...fields, ms: since(started) }, message);

    let record: EgressFields | undefined;
    try {
      if (level === 0) {
        await readRawBody(req, limits.bodyBytes);
        record = { ...base, decision: 'blocked', ...NOTHING };
        // Nothing leaves at level 0, so a failing audit disk does not turn the vendor's normal reply into a
        // 503: RudderStack SDK 3.x crashes its host process when a batch finally fails. The failure is
        // logged and shows on /readyz and in the audit-write metrics.
        await appendDurably(record).catch((error: unknown) => {
          logger.error({ id, vendor: base.vendor, reason: error instanceof GatewayError ? error.code : 'audit-unavailable' }, 'blocked record not written');
        });
        const reply = route.endpoint.localReply;
        res.writeHead(reply.status, reply.body === '' ? {} : { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
        res.end(reply.body);
        metrics.requests.inc({ ...labels, decision: 'blocked' });
        log({ decision: 'blocked', status: reply.status }, 'blocked at level 0');
        return;
      }

      const { bytes, dropped, hashed, unknown } = await policyOutput(req, route, level);
      // The audit record embeds the very Buffer the vendor is sent: one encoding, and byte-identical by construction.
      record = { ...base, decision: 'forwarded', upstream: route.target.href, bodyBytes: bytes, dropped, hashed, unknown };
      await appendDurably(record);
      countFields(base.vendor, base.endpoint, record);
      metrics.requests.inc({ ...labels, decision: 'forwarded' });
      metrics.bytesSent.inc({ vendor: base.vendor }, bytes.length);

      snapshot.proxies.get(base.vendor)!.forward(req, res, {
        route,
        body: bytes,
        done: (outcome) => {
          recordOutcome(id, base.vendor, outcome);
          log({ decision: 'forwarded', status: outcome.kind === 'response' ? outcome.status : undefined, error: outcome.kind === 'error' ? outcome.error : undefined, bytes: bytes.length, upstream_ms: outcome.ms }, 'forwarded');
        },
      });
    } catch (caught) {
      const error = caught instanceof GatewayError ? caught : new GatewayError(500, 'internal-error', 'telegate failed on this request; nothing was forwarded');
      metrics.rejections.inc({ reason: error.code });
      if (record === undefined) {
        // Refused before anything could leave: say so in the audit log (best effort: the refusal stands either way).
        metrics.requests.inc({ ...labels, decision: 'rejected' });
        await appendDurably({ ...base, decision: 'rejected', reason: error.code, ...NOTHING }).catch(() => undefined);
      }
      sendError(res, error);
      log({ decision: record === undefined ? 'rejected' : 'failed', status: error.status, reason: error.code }, 'refused');
    }
  };

  /**
   * Read, decode, judge, serialize: the bytes to send and what the policy did. The body as received, its
   * parsed tree, the policy's output tree and the JSON text live only inside this call, so none of them
   * is still held while the record is made durable and the bytes go upstream (for a 50 MB snapshot each
   * is tens of MB, and the peak is what an instance's memory limit must cover).
   */
  async function policyOutput(req: IncomingMessage, route: Route, level: 1 | 2): Promise<PolicyOutput> {
    const raw = await readRawBody(req, limits.bodyBytes);
    const result = judge(route, level, await decodeBody(raw, header(req, 'content-encoding'), limits.inflatedBytes));
    return { bytes: Buffer.from(serializeJson(result.body ?? {}), 'utf8'), dropped: result.dropped, hashed: result.hashed, unknown: result.unknown };
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

  function countFields(vendor: string, endpoint: string, result: FieldCounts): void {
    const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
    const dropped = sum(result.dropped);
    const hashed = sum(result.hashed);
    const unknown = sum(result.unknown);
    if (dropped) metrics.fields.inc({ vendor, endpoint, action: 'drop' }, dropped);
    if (hashed) metrics.fields.inc({ vendor, endpoint, action: 'hash' }, hashed);
    if (unknown) metrics.unknownFields.inc({ vendor, endpoint }, unknown);
  }

  function judge(route: Route, level: 1 | 2, body: Buffer): TransformResult {
    const parsed = parseJson(body, { maxDepth: limits.depth, maxValues: limits.values });
    if (!parsed.ok) {
      const status = parsed.error.code === 'too-many-values' ? 413
        : parsed.error.code === 'inexact-number' || parsed.error.code === 'too-deep' ? 422 : 400;
      throw new GatewayError(status, parsed.error.code, parsed.error.detail);
    }
    const value = parsed.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new GatewayError(422, 'not-an-object', 'the body must be a JSON object, as every vendor endpoint sends');
    }
    return transform(route.endpoint, level, value, deps.pseudonymizer);
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function clientVersion(req: IncomingMessage): { client_version?: string } {
  for (const name of CLIENT_VERSION_HEADERS) {
    const value = header(req, name);
    if (value) return { client_version: value.slice(0, MAX_CLIENT_VERSION) };
  }
  return {};
}

function since(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
