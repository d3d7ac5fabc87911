/**
 * What the telemetry listener answers before any handler runs: CONNECT (telegate is not a forward
 * proxy) and what Node's HTTP parser and timers refuse (oversized heads, smuggling-shaped framing,
 * timeouts), with the same {"error","detail"} body as every other refusal, so an instance's log says why.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayMetrics } from './metrics';

export function refuseOutsideRequests(server: Server, metrics: GatewayMetrics): void {
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    metrics.rejections.inc({ reason: 'connect-refused' });
    answerAndClose(socket, '405 Method Not Allowed', 'connect-refused', 'telegate is not a forward proxy: CONNECT is refused');
  });
  server.on('clientError', (error: Error, socket: Socket) => {
    if (!socket.writable) return void socket.destroy();
    const { status, code, detail } = parserRefusal((error as NodeJS.ErrnoException).code);
    metrics.rejections.inc({ reason: code });
    answerAndClose(socket, status, code, detail);
  });
}

function parserRefusal(code: string | undefined): { status: string; code: 'headers-too-large' | 'request-timeout' | 'bad-request'; detail: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: '431 Request Header Fields Too Large', code: 'headers-too-large', detail: 'the request head is larger than the gateway accepts' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: '408 Request Timeout', code: 'request-timeout', detail: 'the request did not arrive in time' };
  return { status: '400 Bad Request', code: 'bad-request', detail: 'the request is not well-formed HTTP/1.1' };
}

/** Answers and lets the socket go: `end` alone half-closes, and a client that never reads or closes would
 * keep the descriptor forever. */
function answerAndClose(socket: Socket, status: string, code: string, detail: string): void {
  const body = JSON.stringify({ error: code, detail });
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
  setTimeout(() => socket.destroy(), 5_000).unref();
}
