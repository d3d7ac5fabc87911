/**
 * The part of the gateway every serving process runs: key -> policies -> audit log -> egress listener,
 * with reload, readiness and a graceful close. Everything that can be wrong with the configuration or
 * the policies fails here, before a port opens (StartError, exit 2), so a gateway that listens is one
 * that can judge every request. start.ts adds the admin port and the policy folder watcher for a single
 * process; with several workers the supervising process keeps those (src/cluster).
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { openAuditWriter, type FileAuditWriter, type WriterSeams } from '../audit';
import type { Checkpointer } from '../audit/tlog/checkpointer';
import { listenKey, tlsMaterialProblem, vendorSettings, type GatewayConfig } from '../config';
import { createPseudonymizer, loadHashKey } from '../policy';
import { HashKeyError } from '../policy/hash-key';
import type { PolicySet } from '../policy/types';
import type { ReadinessReport } from './admin-app';
import { openCheckpoints } from './checkpoints';
import { createEgressHandler } from './egress-handler';
import { JudgeBudget } from './judge-budget';
import { JudgePool } from './judge-pool';
import { GatewayError, sendError } from './http-error';
import { safeStdout } from './log-destination';
import { createLogger } from './logger';
import { createMetrics, type GatewayMetrics } from './metrics';
import type { SiblingEnds } from './loop-guard';
import { PolicyRuntime, type RuntimeOptions, type RuntimeSnapshot } from './policy-runtime';
import { answerAndClose, refuseOutsideRequests } from './refused-connections';
import { BodyDeadlines } from './body-deadline';
import { ConnectionGates, type RequestSlot } from './connection-gate';
import { limitConnections, PeerCounts } from './connection-limits';
import { createConnectionMetrics } from './connection-metrics';
import { framingProblem } from './framing-check';
import { watchTlsHandshakeFailures } from './tls-handshake-failures';

export class StartError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
    this.name = 'StartError';
  }
}

export interface CoreOptions {
  logger?: Logger;
  /** Fields on every log line of this process (a worker's number). */
  logBindings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** The audit writer's file-system calls; tests replace them to make the disk fail on demand. */
  auditSeams?: WriterSeams;
  /** With several workers: the other workers' upstream ends, so a forward into a sibling is seen as a loop. */
  loopSiblings?: SiblingEnds;
  /** With several workers: whether this worker still owns its audit chain (its supervisor is alive). */
  auditOwner?: () => boolean;
  /** With several workers: the supervisor's pid and how long to wait for an orphaned predecessor's chain lock (chain-lock.ts). */
  auditLock?: { supervisor: number; orphanWaitMs: number };
}

export type ReloadOutcome = { ok: boolean; errors?: string[] };

export interface GatewayCore {
  /** The first listener's URL, e.g. http://127.0.0.1:8080 (https when it has tls). */
  url: string;
  /** Every listener's URL, in the order of `listen`. */
  urls: string[];
  metrics: GatewayMetrics;
  audit: FileAuditWriter;
  logger: Logger;
  reload(trigger: string): Promise<ReloadOutcome>;
  readiness(): ReadinessReport;
  /** The policy set in force, for the console. */
  policySet(): PolicySet | undefined;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), flushes and closes the audit log. */
  close(graceMs?: number): Promise<void>;
}

const HEADERS_TIMEOUT_MS = 15_000;
/**
 * The egress listener's parser settings. insecureHTTPParser false explicitly: it beats a global
 * --insecure-http-parser (NODE_OPTIONS), which would turn on every llhttp leniency. requireHostHeader
 * false: framing-check.ts refuses a missing Host itself, with a reason and in the request's turn.
 * Timeouts are checked every connectionsCheckingInterval (default 30 s): 1 s makes headersTimeout mean 15 s.
 */
const STRICT_SERVER = { connectionsCheckingInterval: 1_000, insecureHTTPParser: false, requireHostHeader: false } as const;
/** A whole request (headers and body) must arrive within this: a trickling client cannot hold a socket. */
const REQUEST_TIMEOUT_MS = 120_000;
/**
 * Requests a connection may have waiting for their turn before it is no longer read (connection-gate.ts).
 * Clients that pipeline at all send a few; the bound is what a flood of them can make the gateway hold.
 */
const PIPELINE_DEPTH = 16;
export const DEFAULT_GRACE_MS = 10_000;
/** After the grace period, how long aborted handlers get to append their records. */
const SHUTDOWN_RECORD_WAIT_MS = 2_000;

export async function startCore(config: GatewayConfig, options: CoreOptions = {}): Promise<GatewayCore> {
  const stdout = options.logger ? undefined : safeStdout();
  const base = options.logger ?? createLogger(config.log.level, stdout);
  const logger = options.logBindings ? base.child(options.logBindings) : base;
  const env = options.env ?? process.env;
  const metrics = createMetrics();
  if (stdout) {
    new Gauge({
      name: 'telegate_log_lines_dropped', help: 'telegate\'s own log lines dropped because stdout could not be written (e.g. a full disk)',
      registers: [metrics.registry], collect() { this.set(stdout.dropped); },
    });
  }

  const hashKey = await loadHashKey({ env, keyFile: config.hash.key_file, dataDir: config.data_dir, warn: (m) => logger.warn(m) })
    .catch((error: unknown) => {
      // A HashKeyError names its key; anything else came from generating one into data_dir.
      throw new StartError([error instanceof HashKeyError ? error.message : `data_dir ${config.data_dir}: cannot generate the hash key there: ${error instanceof Error ? error.message : String(error)}`]);
    });
  const pseudonymizer = createPseudonymizer(hashKey.key);
  logger.info({ source: hashKey.source }, 'hash key loaded');

  const runtime = new PolicyRuntime(runtimeOptions(config, options.loopSiblings));
  const first = await runtime.load();
  if (!first.ok) throw new StartError(first.errors);

  // Settings that weaken a guarantee load (tests and labs need them), but never silently.
  for (const vendor of first.snapshot.routes.vendors) {
    if (vendor.upstream.protocol !== 'https:') logger.warn({ vendor: vendor.policy.vendor, upstream: vendor.upstream.href }, 'upstream is not https: telemetry leaves unencrypted and the vendor is not authenticated');
    if (vendor.shadowLevel !== undefined && (vendor.shadowLevel === vendor.level || vendor.level === 0)) logger.warn({ vendor: vendor.policy.vendor, telemetry_level: vendor.level, shadow_level: vendor.shadowLevel }, 'shadow_level has nothing to compare at the enforced level: no shadow is recorded');
  }
  if (!config.audit.fsync) logger.warn('audit.fsync is off: records are not durable before requests are forwarded (write-ahead guarantee off)');

  const tlsOf = await Promise.all(config.listen.map(async (l) => (l.tls ? { cert: await readFile(l.tls.cert), key: await readFile(l.tls.key) } : undefined)));
  // Before the audit chain is opened, as `config validate` asks it (config/tls-files.ts).
  for (const [i, tls] of tlsOf.entries()) {
    const files = config.listen[i]!.tls;
    const problem = tls && files ? tlsMaterialProblem(listenKey(config.listen.length, i), files, tls.cert, tls.key) : undefined;
    if (problem) {
      runtime.close();
      throw new StartError([`${problem.key}: ${problem.message}`]);
    }
  }

  let checkpoints: Checkpointer | undefined;
  let audit: FileAuditWriter;
  // Once the chain's lock file is removed or replaced, another process may write the chain: neither the
  // writer nor the checkpointer writes anything more (chain-lock.ts).
  let lockLost = false;
  const owner = (): boolean => !lockLost && (options.auditOwner?.() ?? true);
  try {
    checkpoints = await openCheckpoints(config, logger, metrics, owner);
  } catch (error) {
    runtime.close();
    throw new StartError([error instanceof Error ? error.message : String(error)]);
  }
  try {
    audit = await openAuditWriter({
      dir: config.audit.dir, maxFileBytes: config.audit.max_file_bytes, fsync: config.audit.fsync,
      ...(config.audit.replica === undefined ? {} : { replica: config.audit.replica }),
      ...(options.auditOwner ? { owner: options.auditOwner } : {}),
      ...(options.auditLock ?? {}),
      onLockLost: (message) => {
        lockLost = true;
        logger.error({ audit_dir: config.audit.dir }, `audit chain lock lost: ${message}; every request is refused (503) until telegate is restarted`);
      },
      ...(checkpoints ? { observer: checkpoints } : {}),
    }, options.auditSeams);
  } catch (error) {
    runtime.close();
    throw new StartError([`audit.dir ${config.audit.dir}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  // From here on the chain is open and locked: a start that fails closes it (its stop record written, the
  // lock released) before saying why, so a corrected configuration can start at once.
  const abandon = async (key: string, error: unknown): Promise<never> => {
    await audit.close().catch(() => undefined);
    await checkpoints?.close().catch(() => undefined);
    runtime.close();
    throw new StartError([`${key}: ${error instanceof Error ? error.message : String(error)}`]);
  };
  if (checkpoints) {
    logger.info({ size: checkpoints.size, resumed: checkpoints.opened.resumed, lines_read: checkpoints.opened.linesRead }, 'audit checkpoint tree ready');
    checkpoints.start();
  }
  await audit.appendPolicy({ policies: policyList(first.snapshot), reload: false }).catch((error: unknown) => abandon(`audit.dir ${config.audit.dir}`, error));
  publishPolicies(metrics, first.snapshot);
  metrics.reloads.inc({ result: 'ok' });

  let lastReload: ReadinessReport['last_reload'] = null;
  let reloading = Promise.resolve();
  const reload = async (trigger: string): Promise<ReloadOutcome> => {
    const record = (candidate: RuntimeSnapshot): Promise<void> => audit.appendPolicy({ policies: policyList(candidate), reload: true });
    const loading = runtime.load(record);
    // close() waits for a reload in progress, so its policy record is never cut off by the stop record.
    reloading = loading.then(() => undefined, () => undefined);
    const outcome = await loading;
    const at = new Date().toISOString();
    if (!outcome.ok) {
      lastReload = { ok: false, at, errors: outcome.errors };
      metrics.reloads.inc({ result: 'refused' });
      logger.error({ trigger, errors: outcome.errors }, 'policy reload refused; the running policy set stays');
      return { ok: false, errors: outcome.errors };
    }
    lastReload = { ok: true, at };
    metrics.reloads.inc({ result: 'ok' });
    publishPolicies(metrics, outcome.snapshot);
    logger.info({ trigger, policies: policyList(outcome.snapshot) }, 'policy set reloaded');
    return { ok: true };
  };

  // --- the egress listener ---------------------------------------------------------------------------
  /** Egress handlers still running (reading, judging, writing the record); exchanges are counted by the runtime. */
  let handlers = 0;
  const judgePool = new JudgePool(config.limits.judge_thread_bytes, hashKey.key);
  const handle = createEgressHandler({
    runtime: () => runtime.snapshot,
    audit, pseudonymizer, metrics, logger,
    pool: judgePool,
    budget: new JudgeBudget(config.limits.judge_budget_bytes, config.limits.judge_wait_ms, (inUse) => metrics.judgeBudgetBytes.set(inUse)),
    limits: { bodyBytes: config.limits.body_bytes, inflatedBytes: config.limits.inflated_bytes, inflateRatio: config.limits.inflate_ratio, depth: config.limits.depth, values: config.limits.values },
  });
  // A plain handler, not an express app: the listener has one route-less handler, and express would
  // only add its router walk and a prototype swap of req and res to every request (a measured share of
  // the small-batch CPU profile). The admin port, with its several routes, keeps express.
  const serve = (req: IncomingMessage, res: ServerResponse, slot: RequestSlot): void => {
    const looped = runtime.loopGuard.comesBack(req.socket);
    if (looped === true) return refuseLoop(res);
    handlers++;
    if (looped === false) {
      void handle(req, res, slot).finally(() => { handlers--; });
      return;
    }
    // A connection from this host that only a sibling worker can place: asked once per connection.
    void looped.then((yes) => (yes ? refuseLoop(res) : handle(req, res, slot))).finally(() => { handlers--; });
  };
  const refuseLoop = (res: ServerResponse): void => {
    metrics.rejections.inc({ reason: 'loop-detected' });
    logger.error({ upstream_loop: true }, 'a forwarded request came back to telegate: the vendor\'s host resolves to telegate itself; fix the gateway\'s DNS');
    sendError(res, new GatewayError(508, 'loop-detected', 'telegate received its own forwarded request: the vendor\'s host name resolves to telegate'));
  };
  // Strict framing (SPEC §5): one request at a time per connection, heads checked before anything is judged.
  const connectionMetrics = createConnectionMetrics(metrics.registry);
  const deadlines = new BodyDeadlines(config.limits.body_timeout_ms, config.limits.body_min_rate, (clock) => gates.bodyLate(clock.socket));
  const gates = new ConnectionGates({
    serve, checkHead: framingProblem, answerRaw: answerAndClose,
    refused: (code) => metrics.rejections.inc({ reason: code }),
    pipelineDepth: PIPELINE_DEPTH, deadlines,
    waiting: (count) => connectionMetrics.pipelined.observe(count),
  });
  const peers = new PeerCounts();
  const connectionLimits = { connections: config.limits.connections, perClient: config.limits.connections_per_client, writeTimeoutMs: config.limits.write_timeout_ms };
  // Every listener (plain HTTP and TLS side by side) is the same server: the same gates, handler, limits
  // and loop guard; only the transport differs.
  const servers: Server[] = [];
  for (const [i, tls] of tlsOf.entries()) {
    let server: Server;
    try {
      server = tls ? createHttpsServer({ ...tls, ...STRICT_SERVER }, (req, res) => gates.admit(req, res)) : createHttpServer(STRICT_SERVER, (req, res) => gates.admit(req, res));
    } catch (error) {
      // The configuration's checks load the same files first; this is a file changed since.
      for (const made of servers) made.close();
      return abandon(`${listenKey(config.listen.length, i)}.tls`, error);
    }
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => gates.admit(req, res, true));
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    // Per listener: each port has its own budget of connections; per peer address, one for all listeners.
    limitConnections(server, connectionLimits, peers, gates, connectionMetrics, logger);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    refuseOutsideRequests(server, gates);
    if (tls) watchTlsHandshakeFailures(server as HttpsServer, metrics, logger);
    servers.push(server);
  }

  try {
    for (const [i, server] of servers.entries()) await listen(server, config.listen[i]!.port, config.listen[i]!.host);
  } catch (error) {
    for (const server of servers) server.close();
    deadlines.close();
    await judgePool.close();
    return abandon('cannot listen', error);
  }
  const urls = servers.map((server, i) => `${tlsOf[i] ? 'https' : 'http'}://${hostForUrl(server.address() as AddressInfo)}`);

  const readiness = (): ReadinessReport => {
    const snapshot = runtime.loaded ? runtime.snapshot : undefined;
    return {
      ready: snapshot !== undefined && audit.healthy,
      audit: { writable: audit.healthy },
      policies: snapshot ? policyList(snapshot) : [],
      loaded_at: snapshot ? snapshot.policySet.loadedAt.toISOString() : null,
      last_reload: lastReload,
    };
  };

  let closing: Promise<void> | undefined;
  return {
    url: urls[0]!, urls, metrics, audit, logger, reload, readiness,
    policySet: () => (runtime.loaded ? runtime.snapshot.policySet : undefined),
    close(graceMs = DEFAULT_GRACE_MS) {
      closing ??= (async () => {
        gates.drain();
        const stopped = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
        for (const server of servers) server.closeIdleConnections();
        // 1. Let what is in flight finish: handlers, and exchanges whose vendor has not answered yet.
        await waitUntil(() => handlers === 0 && runtime.activeExchanges === 0, graceMs);
        // 2. Past the grace period: end the exchanges still waiting (their outcome: shutdown) and the
        //    connections still open (a client still uploading: its handler records the request as aborted).
        runtime.abortExchanges();
        for (const server of servers) server.closeAllConnections();
        // 3. Those records are appended before the log is closed, so every request keeps its records.
        await waitUntil(() => handlers === 0, SHUTDOWN_RECORD_WAIT_MS);
        await stopped;
        deadlines.close();
        await reloading;
        // No handler is left to judge anything: the judge threads end.
        await judgePool.close();
        // The upstream connections are released even when the audit log cannot be closed (a failing
        // disk); the failure is reported to the caller afterwards.
        try {
          await audit.close();
        } finally {
          runtime.close();
          // After the writer: the final checkpoint covers its `stop` record (or all that became durable).
          await checkpoints?.close();
        }
      })();
      return closing;
    },
  };
}

/** The policy runtime a configuration asks for: the same in a worker and in the supervisor's check. */
export function runtimeOptions(config: GatewayConfig, loopSiblings?: SiblingEnds): RuntimeOptions {
  return {
    policyPaths: [config.policies],
    vendorSetting: (vendor) => vendorSettings(config, vendor),
    configuredVendors: Object.keys(config.vendors),
    upstreamTimeoutMs: config.upstream.timeout_ms,
    ...(loopSiblings ? { loopSiblings } : {}),
  };
}

export function policyList(snapshot: RuntimeSnapshot): ReadinessReport['policies'] {
  return [...snapshot.routes.vendors].map((v) => ({
    vendor: v.policy.vendor, file: v.policy.file, digest: v.policy.digest, level: v.level, upstream: v.upstream.href,
  }));
}

function publishPolicies(metrics: GatewayMetrics, snapshot: RuntimeSnapshot): void {
  metrics.policyInfo.reset();
  for (const v of snapshot.routes.vendors) metrics.policyInfo.set({ vendor: v.policy.vendor, digest: v.policy.digest }, 1);
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function hostForUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
