/**
 * The vendor's cloud, stood in on 127.0.0.1: records every request exactly as received (method, URL,
 * raw headers, body bytes) and answers as told, so tests assert on what actually left telegate.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: Buffer;
  /** telegate's end of the connection the request came on: equal ports, one connection. */
  remotePort: number;
}

/** How the vendor answers the next requests. */
export type VendorBehaviour =
  | { kind: 'reply'; status: number; body?: string; headers?: Record<string, string | string[]> }
  /** Answers as `reply` does, but only after `ms`: a slow vendor, for requests still in flight. */
  | { kind: 'delay'; ms: number; status: number; body?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'reset-mid-reply' };

export interface StandInVendor {
  url: string;
  received: ReceivedRequest[];
  behave(behaviour: VendorBehaviour): void;
  close(): Promise<void>;
}

export interface StandInVendorOptions {
  reply?: VendorBehaviour;
  tls?: { cert: Buffer; key: Buffer };
  /** A fixed port, to bring a vendor back where a stopped one listened; 0 (any free port) by default. */
  port?: number;
  /** How long an idle kept-alive connection stays open (Node's default is 5 s). */
  keepAliveTimeoutMs?: number;
}

export async function startStandInVendor(options: StandInVendorOptions = {}): Promise<StandInVendor> {
  let behaviour: VendorBehaviour = options.reply ?? { kind: 'reply', status: 202 };
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), remotePort: req.socket.remotePort ?? 0 });
      const b = behaviour;
      switch (b.kind) {
        case 'hang': return;
        case 'delay':
          setTimeout(() => { res.writeHead(b.status); res.end(b.body ?? ''); }, b.ms);
          return;
        case 'reset': req.socket.destroy(); return;
        case 'reset-mid-reply':
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
          setTimeout(() => req.socket.destroy(), 20);
          return;
        case 'reply':
          res.writeHead(b.status, b.headers ?? {});
          res.end(b.body ?? '');
      }
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    received,
    behave(next) { behaviour = next; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
