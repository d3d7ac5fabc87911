/**
 * Forwarding to a vendor with http-proxy-middleware: one proxy per vendor, built with its route table.
 *
 * What leaves is decided here as much as in the policy: the body written upstream is telegate's own
 * serialization (the client's stream was consumed before), the request carries only the vendor's
 * allow-listed headers plus the ones telegate sets (Host, Content-Type, Content-Length), nothing like
 * X-Forwarded-For (xfwd off), TLS is verified, and the URL is the route's target, never the client's.
 *
 * The vendor's reply is relayed by hand (selfHandleResponse): status and body, an allow-list of headers
 * (no Set-Cookie), and a redirect turned into a 502, because RudderStack's SDK resends a redirected batch
 * as a body-less GET and counts it delivered.
 */
import type { Agent as HttpAgent, ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import { RELAYED_RESPONSE_HEADERS, isForbiddenRequestHeader } from './forbidden-headers';
import { GatewayError, sendError } from './http-error';
import type { Route, VendorRoute } from './route-table';

export type UpstreamOutcome =
  | { kind: 'response'; status: number; ms: number }
  | { kind: 'error'; error: 'upstream-unreachable' | 'upstream-timeout' | 'upstream-reset' | 'client-gone'; ms: number; detail: string };

export interface Forwarding {
  route: Route;
  /** telegate's serialization of the policy's output: the only body the vendor ever sees. */
  body: Buffer;
  /** Called once, when the vendor answered (after its body was relayed) or the exchange failed. */
  done(outcome: UpstreamOutcome): void;
}

export type VendorProxy = (req: IncomingMessage, res: ServerResponse, forwarding: Forwarding) => void;

interface Exchange extends Forwarding { started: number; timedOut: boolean; settled: boolean }

export function createVendorProxy(vendor: VendorRoute, agent: HttpAgent, timeoutMs: number): VendorProxy {
  const exchanges = new WeakMap<IncomingMessage, Exchange>();
  const allowed = vendor.policy.headers.map((h) => h.toLowerCase()).filter((h) => !isForbiddenRequestHeader(h));

  const settle = (exchange: Exchange, outcome: UpstreamOutcome): void => {
    if (exchange.settled) return;
    exchange.settled = true;
    exchange.done(outcome);
  };
  const elapsed = (exchange: Exchange): number => Math.round((performance.now() - exchange.started) * 1000) / 1000;

  const plugin: Plugin = (proxyServer) => {
    proxyServer.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
      const exchange = exchanges.get(req);
      if (!exchange) return void proxyReq.destroy();
      for (const name of proxyReq.getHeaderNames()) {
        if (name !== 'host' && !allowed.includes(name)) proxyReq.removeHeader(name);
      }
      proxyReq.setHeader('content-type', 'application/json');
      proxyReq.setHeader('content-length', exchange.body.length);
      proxyReq.on('timeout', () => { exchange.timedOut = true; });
      proxyReq.write(exchange.body);
    });

    proxyServer.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) => {
      const exchange = exchanges.get(req);
      const status = proxyRes.statusCode ?? 502;
      if (!exchange) return void proxyRes.resume();
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
      proxyRes.pipe(res);
      proxyRes.on('end', () => settle(exchange, { kind: 'response', status, ms: elapsed(exchange) }));
      proxyRes.on('error', () => settle(exchange, { kind: 'error', error: 'upstream-reset', ms: elapsed(exchange), detail: 'the vendor reset the connection mid-reply' }));
      proxyRes.on('aborted', () => {
        res.destroy();
        settle(exchange, { kind: 'error', error: 'upstream-reset', ms: elapsed(exchange), detail: 'the vendor reset the connection mid-reply' });
      });
    });

    proxyServer.on('error', (err: Error, req: IncomingMessage, res: ServerResponse | NodeJS.WritableStream) => {
      const exchange = exchanges.get(req);
      if (!exchange) return;
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const outcome: UpstreamOutcome = exchange.timedOut
        ? { kind: 'error', error: 'upstream-timeout', ms: elapsed(exchange), detail: `the vendor did not answer within ${timeoutMs} ms` }
        : { kind: 'error', error: 'upstream-unreachable', ms: elapsed(exchange), detail: `the vendor could not be reached (${code})` };
      if ('writeHead' in res) {
        sendError(res, new GatewayError(exchange.timedOut ? 504 : 502, outcome.error === 'upstream-timeout' ? 'upstream-timeout' : 'upstream-unreachable', outcome.detail));
      }
      settle(exchange, outcome);
    });

    proxyServer.on('econnreset', (_err: Error, req: IncomingMessage) => {
      const exchange = exchanges.get(req);
      if (exchange) settle(exchange, { kind: 'error', error: 'client-gone', ms: elapsed(exchange), detail: 'the instance closed its connection before the vendor answered' });
    });
  };

  const middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: vendor.upstream.origin,
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

  return (req, res, forwarding) => {
    exchanges.set(req, { ...forwarding, started: performance.now(), timedOut: false, settled: false });
    void middleware(req, res, (err?: unknown) => {
      // Only reached when the proxy could not even start (a bad target): fail closed, nothing was sent.
      const exchange = exchanges.get(req);
      sendError(res, new GatewayError(502, 'upstream-unreachable', 'the vendor route could not be set up'));
      if (exchange) settle(exchange, { kind: 'error', error: 'upstream-unreachable', ms: 0, detail: err instanceof Error ? err.message : 'proxy setup failed' });
    });
  };
}
