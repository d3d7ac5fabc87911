/**
 * The body of a request that is answered without being judged (level 0: nothing leaves): read to its end
 * and thrown away, so the instance gets the vendor's usual reply after sending its body, as from the
 * vendor, whatever the size. Nothing is kept, so `limits.body_bytes` does not apply: it bounds what
 * telegate holds, and here it holds nothing. A body that never ends is cut by the listener's request
 * timeout, like any other.
 */
import type { IncomingMessage } from 'node:http';
import type { Cancellation } from './connection-gate';
import { GatewayError } from './http-error';

/** `cancellation`: the connection's (connection-gate.ts); its reason is the refusal to answer. */
export function drainBody(req: IncomingMessage, cancellation?: Cancellation): Promise<void> {
  if (cancellation?.reason !== undefined) return Promise.reject(cancellation.reason);
  if (req.complete) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const stopListening = cancellation?.onCancel((reason) => done(reason));
    const done = (error?: GatewayError): void => {
      stopListening?.();
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onEnd = (): void => done();
    const onAborted = (): void => done(new GatewayError(400, 'aborted', 'the client closed the connection before the body was complete'));
    const onError = (): void => done(new GatewayError(400, 'aborted', 'the request body could not be read'));
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
    req.resume();
  });
}
