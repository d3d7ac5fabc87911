/**
 * What the telemetry listener answers outside the egress handler: CONNECT (telegate is not a forward
 * proxy), an `Expect` it cannot meet, and what Node's HTTP parser and timers refuse (oversized heads,
 * smuggling-shaped framing, timeouts), with the same {"error","detail"} body as every other refusal, so
 * an instance's log says why. A refusal on a connection with a request in flight is answered in order
 * (connection-gate.ts): never ahead of, or instead of, the response of a request that was forwarded.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionGates } from './connection-gate';
import { GatewayError } from './http-error';

export function refuseOutsideRequests(server: Server, gates: ConnectionGates): void {
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    gates.framingError(socket, new GatewayError(405, 'connect-refused', 'telegate is not a forward proxy: CONNECT is refused', CLOSE), undefined);
  });
  server.on('clientError', (error: Error & { code?: string; reason?: string }, socket: Socket) => {
    if (!socket.writable) return void socket.destroy();
    gates.framingError(socket, parserRefusal(error.code, error.reason), error.code);
  });
  // `Expect` other than 100-continue: the gate's head check answers 417, in the request's turn.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => gates.admit(req, res));
}

const CLOSE = { connection: 'close' };

/**
 * llhttp's refusal, as an answer. Its error codes and reasons are stable (llhttp's api); they decide the
 * status only, and are never echoed: `reason` can quote nothing of the request, but the codes say enough.
 */
export function parserRefusal(code: string | undefined, reason: string | undefined): GatewayError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError(431, 'headers-too-large', 'the request head is larger than the gateway accepts', CLOSE);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new GatewayError(413, 'bad-framing', 'the chunk extensions are larger than the gateway accepts', CLOSE);
    case 'HPE_INVALID_EOF_STATE':
      // The client closed its side mid-message: the request is incomplete, and nobody is left to answer.
      return new GatewayError(400, 'aborted', 'the client closed the connection before the request was complete', CLOSE);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(408, 'request-timeout', 'the request did not arrive in time', CLOSE);
    case 'HPE_INVALID_TRANSFER_ENCODING':
      // llhttp names Content-Length in its reason when both framing headers are present (RFC 9112 §6.3: 400).
      if (reason?.includes('Content-Length')) return bothLengths();
      return new GatewayError(501, 'unsupported-transfer-coding', 'the only transfer coding telegate accepts is a single `chunked`; send other encodings as Content-Encoding', CLOSE);
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      if (reason?.includes('Transfer-Encoding')) return bothLengths();
      return new GatewayError(400, 'bad-framing', 'Content-Length must be given once, as digits', CLOSE);
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_STRICT':
      return new GatewayError(400, 'bad-framing', 'the chunked body is malformed', CLOSE);
    default:
      return new GatewayError(400, 'bad-request', 'the request is not well-formed HTTP/1.1', CLOSE);
  }
}

function bothLengths(): GatewayError {
  return new GatewayError(400, 'bad-framing', 'Content-Length and Transfer-Encoding together: the body length is ambiguous (RFC 9112 §6.3)', CLOSE);
}

/** Answers and lets the socket go: `end` alone half-closes, and a client that never reads or closes would
 * keep the descriptor forever. */
export function answerAndClose(socket: Socket, error: GatewayError): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: error.code, detail: error.detail });
  socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
  setTimeout(() => socket.destroy(), 5_000).unref();
}
