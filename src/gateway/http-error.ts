/**
 * Every refusal the gateway gives an instance: an HTTP status, a stable machine-readable `error` code
 * (also the audit record's `reason` and the metrics label) and a `detail` a person can act on. Details
 * describe the request's shape, never its values: they go to the instance, the log and the audit file.
 */
import type { ServerResponse } from 'node:http';

export type RejectionCode =
  | 'not-found' | 'method-not-allowed' | 'absolute-form' | 'connect-refused'
  | 'body-too-large' | 'inflated-too-large' | 'inflate-ratio' | 'unsupported-encoding' | 'undecodable-body'
  | 'not-utf8' | 'invalid-json' | 'too-deep' | 'inexact-number' | 'integer-out-of-range' | 'not-an-object'
  | 'too-many-values' | 'over-budget' | 'larger-than-budget' | 'busy' | 'body-timeout' | 'aborted' | 'shutdown'
  | 'headers-too-large' | 'request-timeout' | 'bad-request' | 'loop-detected'
  | 'audit-unavailable' | 'internal-error' | 'upstream-unreachable' | 'upstream-timeout' | 'upstream-redirect'
  // Framing (SPEC §5): refused heads and connections (framing-check.ts, refused-connections.ts), and a
  // request cancelled because its connection broke framing before it was forwarded (connection-gate.ts).
  | 'bad-framing' | 'unsupported-transfer-coding' | 'bad-host' | 'http-version-not-supported'
  | 'expectation-failed' | 'connection-error';

export class GatewayError extends Error {
  constructor(readonly status: number, readonly code: RejectionCode, readonly detail: string, readonly headers: Record<string, string> = {}) {
    super(`${code}: ${detail}`);
    this.name = 'GatewayError';
  }
}

export function sendError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: error.code, detail: error.detail });
  res.writeHead(error.status, {
    ...error.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
