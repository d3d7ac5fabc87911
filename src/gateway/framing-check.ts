/**
 * A request head's framing, judged strictly (SPEC §5 "Framing", RFC 9112 §6): a head whose body length
 * or target another HTTP implementation could read differently is refused before anything of it is
 * judged, and its connection closed. Node's parser (llhttp, strict mode) already refuses most such heads
 * itself (refused-connections.ts answers those); it accepts a few that this check refuses:
 *
 * - a transfer coding list that ends in `chunked` but holds more (`gzip, chunked`, `, chunked`): llhttp
 *   frames the body by the final `chunked` and ignores the rest, a gzip the policy would never see;
 * - `Transfer-Encoding` on HTTP/1.0, which RFC 9112 §6.1 says to treat as faulty framing;
 * - two `Host` lines (Node keeps the first and drops the second; routing reads Host);
 * - an HTTP/1.1 request without `Host`, and versions other than HTTP/1.0 and HTTP/1.1 (llhttp reads
 *   `HTTP/2.0` and an HTTP/0.9 request line);
 * - a target that is not a path (absolute-form, authority-form, `*`): routing is by path and Host only;
 * - an `Expect` other than 100-continue (Node would answer 417 itself, without closing or a reason).
 *
 * The header lines are read from `rawHeaders`, as sent. No line can hide from it: a head with more lines
 * than the server keeps (maxHeadersCount, 2,000) is refused by the parser itself (431).
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from './http-error';

/** What this check refuses: each answer closes the connection. */
export function framingProblem(req: IncomingMessage): GatewayError | undefined {
  const close = { connection: 'close' };
  if (req.httpVersion !== '1.1' && req.httpVersion !== '1.0') {
    return new GatewayError(505, 'http-version-not-supported', 'telegate speaks HTTP/1.1 (and HTTP/1.0) on this port', close);
  }
  // Origin-form only: `GET http://elsewhere/ HTTP/1.1` asks a forward proxy, which telegate is not; and
  // with no absolute target there is no second authority for Host to disagree with.
  if (!req.url?.startsWith('/')) {
    return new GatewayError(400, 'absolute-form', 'telegate is not a forward proxy: request targets must be paths', close);
  }
  const lines = headerLines(req.rawHeaders);
  const te = lines.get('transfer-encoding');
  const cl = lines.get('content-length');
  const host = lines.get('host');

  if (te !== undefined) {
    if (req.httpVersion === '1.0') {
      return new GatewayError(400, 'bad-framing', 'Transfer-Encoding on an HTTP/1.0 request: its body length is ambiguous (RFC 9112 §6.1)', close);
    }
    if (cl !== undefined) {
      return new GatewayError(400, 'bad-framing', 'Content-Length and Transfer-Encoding together: the body length is ambiguous (RFC 9112 §6.3)', close);
    }
    // Exactly one coding, `chunked` (case-insensitive, RFC 9112 §7): no list, no parameters, no empty elements.
    if (te.length !== 1 || te[0]!.toLowerCase() !== 'chunked') {
      return new GatewayError(501, 'unsupported-transfer-coding', 'the only transfer coding telegate accepts is a single `chunked`; send other encodings as Content-Encoding', close);
    }
  }
  if (cl !== undefined && (cl.length !== 1 || !/^[0-9]+$/.test(cl[0]!))) {
    return new GatewayError(400, 'bad-framing', 'Content-Length must be given once, as digits', close);
  }
  if (host !== undefined && host.length > 1) {
    return new GatewayError(400, 'bad-host', 'the request has more than one Host line', close);
  }
  if (host === undefined && req.httpVersion === '1.1') {
    return new GatewayError(400, 'bad-host', 'an HTTP/1.1 request must carry a Host line (RFC 9112 §3.2)', close);
  }
  // RFC 9110 §10.1.1: Expect is HTTP/1.1's; an HTTP/1.0 request's is ignored (as Node does).
  const expect = req.headers.expect;
  if (expect !== undefined && req.httpVersion === '1.1' && expect.trim().toLowerCase() !== '100-continue') {
    return new GatewayError(417, 'expectation-failed', 'the only expectation telegate meets is 100-continue', close);
  }
  return undefined;
}

/** Whether the response to this request must close the connection (checked once the head passed). */
export function endsConnection(req: IncomingMessage): boolean {
  // HTTP/1.0 keep-alive is an extension with no pipelining guarantees worth keeping: one request, one
  // connection. After an Upgrade request llhttp reads the rest of the stream as another protocol, so
  // nothing after it on the connection would be parsed anyway.
  return req.httpVersion === '1.0' || req.headers.upgrade !== undefined;
}

/** RFC 9110 §5.6.3 OWS only: String.prototype.trim would also eat NBSP (0xA0), which llhttp keeps. */
function trimOws(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** Header values by lower-case name, one entry per line (OWS already trimmed by the parser). */
function headerLines(raw: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name !== 'transfer-encoding' && name !== 'content-length' && name !== 'host') continue;
    const values = out.get(name) ?? [];
    if (name === 'transfer-encoding') values.push(...raw[i + 1]!.split(',').map(trimOws));
    else values.push(trimOws(raw[i + 1]!));
    out.set(name, values);
  }
  return out;
}
