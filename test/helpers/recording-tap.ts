/**
 * A wiretap between a client and telegate on 127.0.0.1: records each request exactly as the client sent it
 * (headers, body bytes) and the reply exactly as telegate gave it, and relays both unchanged. Tests use it to
 * compare what a real SDK sent with what the vendor received from the same request, not from a second run
 * (RudderStack message ids and timestamps differ between runs).
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TappedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TappedReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TappedExchange {
  request: TappedRequest;
  /** Absent when telegate could not be reached or dropped the connection. */
  reply?: TappedReply;
}

export interface RecordingTap {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** In the order the requests finished arriving. */
  exchanges: TappedExchange[];
  close(): Promise<void>;
}

/** Connection-scoped headers: they describe one hop, so the tap neither relays nor needs them. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function relayable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** `target`: telegate's base URL (http). Requests keep their path and Host header. */
export async function startRecordingTap(target: string): Promise<RecordingTap> {
  const base = new URL(target);
  const exchanges: TappedExchange[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const exchange: TappedExchange = { request: { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body } };
      exchanges.push(exchange);
      const upstream = request(
        { host: base.hostname, port: base.port, method: exchange.request.method, path: exchange.request.url, headers: relayable(req.headers), agent: false },
        (reply) => {
          void readAll(reply).then((replyBody) => {
            exchange.reply = { status: reply.statusCode ?? 0, headers: reply.headers, body: replyBody };
            res.writeHead(exchange.reply.status, relayable(reply.headers));
            res.end(replyBody);
          }, () => res.destroy());
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () => new Promise<void>((resolve) => {
      // SDK 1.x keeps its socket alive; the tap must not wait for its idle timeout.
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
