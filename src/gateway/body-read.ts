/**
 * Reads a request body as sent, within `limits.body_bytes`. A declared Content-Length over the limit is
 * refused before a byte is read; a body that grows past it is refused as soon as it does, so a client
 * cannot make the gateway buffer more than the limit.
 */
import type { IncomingMessage } from 'node:http';
import type { Cancellation } from './connection-gate';
import { GatewayError } from './http-error';

/** `cancellation`: the connection's (connection-gate.ts); its reason is the refusal to answer. */
export async function readRawBody(req: IncomingMessage, maxBytes: number, cancellation?: Cancellation): Promise<Buffer> {
  if (cancellation?.reason !== undefined) throw cancellation.reason;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const fail = (error: GatewayError): void => {
      cleanup();
      // Stop reading: the rest of an oversized body is never buffered; the reply closes the connection.
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) return fail(tooLarge(maxBytes));
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onAborted = (): void => fail(new GatewayError(400, 'aborted', 'the client closed the connection before the body was complete'));
    const onError = (): void => fail(new GatewayError(400, 'aborted', 'the request body could not be read'));
    const stopListening = cancellation?.onCancel((reason) => fail(reason));
    const cleanup = (): void => {
      stopListening?.();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, 'body-too-large', `the body is larger than limits.body_bytes (${maxBytes} bytes)`, { connection: 'close' });
}
