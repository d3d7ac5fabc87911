/**
 * Forwarding to a vendor with http-proxy-middleware: one proxy per upstream origin, kept across reloads.
 *
 * What leaves is decided here as much as in the policy: the body written upstream is telegate's own
 * serialization (the client's stream was consumed before), the request carries only the vendor's
 * allow-listed headers plus the ones telegate sets (Host, Content-Type, Content-Length), nothing like
 * X-Forwarded-For (xfwd off), TLS is verified, and the URL is the route's target, never the client's.
 *
 * httpxy (http-proxy-middleware 4's proxy, a fork of http-proxy) copies every header of the incoming
 * request into the upstream one, and skips its `proxyReq` event (where the body is written) when the request carries `Expect`. So the incoming
 * headers are cut down to the allow-list BEFORE the proxy sees them: whatever path httpxy takes, it
 * can only copy allowed names. A `proxyReq` whose headers already left is destroyed (fail closed).
 * The body is written in `proxyReq`, which httpxy emits on the socket's tick, before it ends the
 * request; an agent that queues requests (maxSockets) would break that order, so the agents must never
 * be given one (policy-runtime.ts).
 *
 * Once forwarded, a request goes to the vendor whether or not its instance is still connected: its egress
 * record already says `forwarded` (write-ahead), so the vendor must get it. httpxy ends the upstream
 * request when the instance's connection closes; that call is ignored here, the vendor's reply is read and
 * dropped, and the outcome record says `client-gone` with the vendor's status.
 *
 * The vendor's reply is relayed by hand (selfHandleResponse): status and body, an allow-list of headers
 * (no Set-Cookie), and a redirect turned into a 502, because RudderStack's SDK resends a redirected batch
 * as a body-less GET and counts it delivered.
 */
import type { Agent as HttpAgent, ClientRequest, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import { RELAYED_RESPONSE_HEADERS, isForbiddenRequestHeader } from './forbidden-headers';
import { GatewayError, sendError } from './http-error';
import type { LoopGuard } from './loop-guard';
import type { Route } from './route-table';

/** The most of a vendor's reply relayed to an instance. */
export const MAX_REPLY_BYTES = 1024 * 1024;

export type UpstreamError = 'upstream-unreachable' | 'upstream-timeout' | 'upstream-reset' | 'client-gone' | 'shutdown';

export type UpstreamOutcome =
  | { kind: 'response'; status: number; ms: number }
  /** `status` is set when the vendor had answered before the exchange failed. */
  | { kind: 'error'; error: UpstreamError; ms: number; detail: string; status?: number };

export interface Forwarding {
  route: Route;
  /** telegate's serialization of the policy's output: the only body the vendor ever sees. */
  body: Buffer;
  /** The request headers judged forwardable (policy judgeHeaders): lower-case name -> value, as recorded. */
  headers: Readonly<Record<string, string>>;
  /** Called once, when the vendor answered (after its body was relayed) or the exchange failed. */
  done(outcome: UpstreamOutcome): void;
}

export interface UpstreamProxy {
  forward(req: IncomingMessage, res: ServerResponse, forwarding: Forwarding): void;
  /** Exchanges still open. */
  readonly active: number;
  /** Ends every open exchange now (shutdown): each is settled as `shutdown`. */
  abortAll(): void;
}

/**
 * One forwarding in flight. A class with every member set in the constructor: all exchanges share one
 * object shape, where a spread copy with members added later gave each a shape of its own and every
 * access on the hot path a cache miss.
 */
class Exchange implements Pick<Forwarding, 'route' | 'body' | 'done'> {
  readonly route: Route;
  readonly body: Buffer;
  readonly done: (outcome: UpstreamOutcome) => void;
  readonly started = performance.now();
  /** Until the vendor's reply head arrives: httpxy's proxyTimeout only notices silence. */
  deadline: NodeJS.Timeout | undefined = undefined;
  timedOut = false;
  /** The instance's connection closed before the vendor's reply was relayed: the exchange goes on without it. */
  clientGone = false;
  settled = false;
  status: number | undefined = undefined;
  proxyReq: ClientRequest | undefined = undefined;

  constructor(forwarding: Pick<Forwarding, 'route' | 'body' | 'done'>, readonly req: IncomingMessage, readonly res: ServerResponse) {
    this.route = forwarding.route;
    this.body = forwarding.body;
    this.done = forwarding.done;
  }
}

export function createUpstreamProxy(origin: URL, agent: HttpAgent, timeoutMs: number, loopGuard: LoopGuard): UpstreamProxy {
  // A Map, emptied as each exchange settles, not a WeakMap keyed by the request: V8's young-generation
  // collector keeps a WeakMap's values alive, so every exchange in flight during a scavenge (its body,
  // request and response) was promoted and left for a major collection. Measured at 1,000 small batches
  // a second: ~650 kB promoted every other scavenge and a major GC about once a second, whose pauses
  // made the p99; with the Map, ~8 kB and one major GC in 12 s (BENCHMARKS.md). Its entries are exactly
  // the exchanges still open.
  const exchanges = new Map<IncomingMessage, Exchange>();

  const settle = (exchange: Exchange, outcome: UpstreamOutcome): void => {
    if (exchange.settled) return;
    exchange.settled = true;
    clearTimeout(exchange.deadline);
    // From here on, late events of this exchange find nothing and end what they hold (see the handlers).
    exchanges.delete(exchange.req);
    exchange.done(outcome);
  };
  const elapsed = (exchange: Exchange): number => Math.round((performance.now() - exchange.started) * 1000) / 1000;
  const failed = (exchange: Exchange, error: UpstreamError, detail: string): UpstreamOutcome =>
    ({ kind: 'error', error, ms: elapsed(exchange), detail, ...(exchange.status === undefined ? {} : { status: exchange.status }) });

  const plugin: Plugin = (proxyServer) => {
    proxyServer.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
      const exchange = exchanges.get(req);
      if (!exchange || proxyReq.headersSent) {
        proxyReq.destroy();
        return;
      }
      exchange.proxyReq = proxyReq;
      if (exchange.timedOut) {
        proxyReq.destroy(new Error('upstream deadline passed'));
        return;
      }
      if (proxyReq.socket) loopGuard.track(proxyReq.socket);
      // httpxy destroys the upstream request, without an error, when the instance's connection closes (and
      // on its idle timeout, which sets timedOut first: see below). The vendor is owed this request.
      const destroy = proxyReq.destroy.bind(proxyReq);
      proxyReq.destroy = ((error?: Error) => {
        if (error === undefined && exchange.clientGone && !exchange.timedOut && !exchange.settled) return proxyReq;
        return destroy(error);
      }) as typeof proxyReq.destroy;
      // Node would add `Connection: keep-alive` for the pooled agent; HTTP/1.1 is persistent without it,
      // and SPEC §2 has telegate add no hop-by-hop header at all.
      proxyReq.removeHeader('connection');
      proxyReq.setHeader('content-type', 'application/json');
      proxyReq.setHeader('content-length', exchange.body.length);
      // Ahead of httpxy's own timeout listener, which destroys the request.
      proxyReq.prependListener('timeout', () => { exchange.timedOut = true; });
      proxyReq.write(exchange.body);
    });

    proxyServer.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) => {
      const exchange = exchanges.get(req);
      const status = proxyRes.statusCode ?? 502;
      if (!exchange) return void proxyRes.resume();
      clearTimeout(exchange.deadline);
      exchange.status = status;
      if (exchange.clientGone) {
        // Nobody to relay it to: read it to its end (the connection goes back to the pool) and record it.
        proxyRes.resume();
        proxyRes.on('end', () => settle(exchange, failed(exchange, 'client-gone', 'the instance closed its connection before the vendor answered; the vendor got the request and its answer was dropped')));
        proxyRes.on('error', () => settle(exchange, failed(exchange, 'client-gone', 'the instance closed its connection before the vendor answered, and the vendor reset the connection mid-reply')));
        return;
      }
      if (status >= 300 && status < 400) {
        proxyRes.resume();
        sendError(res, new GatewayError(502, 'upstream-redirect', `the vendor answered ${status} (a redirect); telegate never follows or relays redirects`));
        settle(exchange, { kind: 'response', status, ms: elapsed(exchange) });
        return;
      }
      const headers: Record<string, string | string[]> = {};
      for (const name of RELAYED_RESPONSE_HEADERS) {
        const value = proxyRes.headers[name];
        if (value !== undefined) headers[name] = value;
      }
      res.writeHead(status, headers);
      // Vendors answer "OK" or nothing; a reply past this is not one an instance needs, and relaying
      // it unbounded would let the upstream hold memory and the instance's connection.
      let relayed = 0;
      proxyRes.on('data', (chunk: Buffer) => {
        relayed += chunk.length;
        if (relayed <= MAX_REPLY_BYTES) return;
        proxyRes.destroy();
        res.destroy();
        settle(exchange, failed(exchange, 'upstream-reset', `the vendor's reply passed ${MAX_REPLY_BYTES} bytes; cut off`));
      });
      proxyRes.pipe(res);
      proxyRes.on('end', () => settle(exchange, { kind: 'response', status, ms: elapsed(exchange) }));
      proxyRes.on('error', () => settle(exchange, failed(exchange, 'upstream-reset', 'the vendor reset the connection mid-reply')));
      proxyRes.on('aborted', () => {
        res.destroy();
        settle(exchange, failed(exchange, 'upstream-reset', 'the vendor reset the connection mid-reply'));
      });
      // The instance hung up while the reply was relayed: the pipe stops, so stop reading the vendor too,
      // and record now what the vendor answered rather than a reset one idle timeout later.
      res.on('close', () => {
        if (res.writableFinished) return;
        proxyRes.destroy();
        settle(exchange, failed(exchange, 'client-gone', 'the instance closed its connection while the reply was relayed'));
      });
    });

    proxyServer.on('error', (err: Error, req?: IncomingMessage, res?: ServerResponse | NodeJS.WritableStream) => {
      const exchange = req === undefined ? undefined : exchanges.get(req);
      if (!exchange || exchange.settled) return;
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const outcome = exchange.timedOut
        ? failed(exchange, 'upstream-timeout', `the vendor did not answer within ${timeoutMs} ms`)
        : failed(exchange, 'upstream-unreachable', `the vendor could not be reached (${code})`);
      if (res !== undefined && 'writeHead' in res) {
        sendError(res, new GatewayError(exchange.timedOut ? 504 : 502, exchange.timedOut ? 'upstream-timeout' : 'upstream-unreachable', outcome.kind === 'error' ? outcome.detail : ''));
      }
      settle(exchange, outcome);
    });

    // The instance's connection broke while the request was on its way: it goes on (see the file comment).
    proxyServer.on('econnreset', (_err: Error, req: IncomingMessage) => {
      const exchange = exchanges.get(req);
      if (exchange) exchange.clientGone = true;
    });
  };

  const middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
    // A URL, not its string: given a string, httpxy parses it again on every request.
    target: new URL(origin.origin),
    agent,
    changeOrigin: true,
    xfwd: false,
    secure: true,
    selfHandleResponse: true,
    proxyTimeout: timeoutMs,
    ejectPlugins: true,
    plugins: [plugin],
    pathRewrite: (_path, req) => exchanges.get(req)?.route.target.pathname ?? '/',
  });

  return {
    get active() { return exchanges.size; },
    forward(req, res, forwarding) {
      req.headers = allowedHeaders(forwarding.headers);
      const exchange = new Exchange(forwarding, req, res);
      exchanges.set(req, exchange);
      // Before httpxy's own listener (registered in the middleware), so its destroy finds clientGone set.
      if (res.destroyed) exchange.clientGone = true;
      else res.once('close', () => { if (!res.writableFinished) exchange.clientGone = true; });
      // A vendor that trickles bytes never goes idle: the reply head must arrive within timeout_ms.
      exchange.deadline = setTimeout(() => {
        exchange.timedOut = true;
        exchange.proxyReq?.destroy(new Error('upstream deadline passed'));
      }, timeoutMs);
      exchange.deadline.unref();
      void middleware(req, res, (err?: unknown) => {
        // Only reached when the proxy could not even start (a bad target): fail closed, nothing was sent.
        sendError(res, new GatewayError(502, 'upstream-unreachable', 'the vendor route could not be set up'));
        settle(exchange, failed(exchange, 'upstream-unreachable', err instanceof Error ? err.message : 'proxy setup failed'));
      });
    },
    abortAll() {
      for (const exchange of [...exchanges.values()]) {
        // With an error: a request whose instance is gone is otherwise kept going (see the file comment).
        exchange.proxyReq?.destroy(new Error('telegate is shutting down'));
        if (!exchange.res.headersSent) sendError(exchange.res, new GatewayError(503, 'shutdown', 'telegate is shutting down; the vendor\'s answer was not awaited'));
        else exchange.res.destroy();
        settle(exchange, failed(exchange, 'shutdown', 'telegate shut down before the vendor answered'));
      }
    },
  };
}

/** The request headers httpxy may copy upstream: those the policy judged forwardable, never a forbidden name. */
function allowedHeaders(judged: Readonly<Record<string, string>>): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(judged)) {
    if (!isForbiddenRequestHeader(name)) kept[name] = value;
  }
  return kept;
}
