/**
 * Strict HTTP/1.1 framing on the egress listener (SPEC §5 "Framing", RFC 9112), as a table of raw
 * conversations from the request-smuggling literature: Content-Length / Transfer-Encoding combinations
 * and their spellings, HTTP/1.0, pipelining in one write and in several, obs-fold, bare CR and LF, NUL,
 * chunk sizes and extensions, trailers, Host lines, absolute-form, Expect, garbage after a good request.
 *
 * Each row asserts three views of the same conversation together, because a smuggled request is exactly
 * one where they disagree:
 * - what the instance was answered: every reply in order (status, and telegate's error code), and that
 *   telegate itself closed the connection (every row ends that way: refusals close, and rows whose
 *   requests are accepted end with `Connection: close`);
 * - what the stand-in vendor received: nothing, or exactly the bodies that were answered 2xx, each once,
 *   in order;
 * - what the audit log says: the row's egress records, in order (a `forwarded` record's body is the very
 *   bytes the vendor got, and its id is the one the 2xx reply carried).
 *
 * Expected values come from the SPEC and RFC 9112/9110 (cited per group), not from the gateway: a request
 * whose framing is ambiguous or faulty is refused and nothing of it or after it is forwarded; a request
 * told 4xx/5xx was not forwarded; after `Connection: close` nothing more is judged. Where the RFC allows
 * either accepting or refusing a spelling, the row says which the gateway does and why that is safe.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { POLICIES, TEST_HASH_KEY, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process';
import { egressRecords, readAuditRecords, type ReadRecord } from '../helpers/audit-records';
import { converse, type ConversationStep, type RawReply } from '../helpers/raw-http';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

let vendor: StandInVendor;
let gw: TestGateway;
let host: string;

const BODY_LIMIT = 4096;

beforeAll(async () => {
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  gw = await startTestGateway({
    env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url },
    configYaml: `limits: { body_bytes: ${BODY_LIMIT}, inflated_bytes: 65536, depth: 16 }\nupstream: { timeout_ms: 5000 }\n`,
  });
  host = new URL(gw.url).host;
});

afterAll(async () => {
  await gw.close();
  await vendor.close();
});

/** Three fresh Coder snapshots per row (Coder at level 2 passes `deployment_id` unchanged). */
type Bodies = [string, string, string];

interface Row {
  name: string;
  send: (b: Bodies) => ConversationStep[];
  /** Every reply, in order: the status, plus telegate's `error` code when the reply is its own refusal. */
  replies: string[];
  /** Indexes into the row's bodies: what the vendor receives, each exactly once, in this order. */
  forwarded: number[];
  /** The row's egress records in order: `forwarded`, or `rejected:<reason>`. */
  records: string[];
  /** The vendor's behaviour during the row (default: 202 at once). */
  slowVendor?: boolean;
}

// --- request builders ----------------------------------------------------------------------------------
interface PostOptions { version?: string; headers?: string; close?: boolean; target?: string; length?: string | null; host?: string | null }

/** `POST /snapshot` with a Content-Length body (unless `length: null`). */
function post(body: string, o: PostOptions = {}): string {
  const hostLine = o.host === null ? '' : `Host: ${o.host ?? host}\r\n`;
  const cl = o.length === null ? '' : `Content-Length: ${o.length ?? Buffer.byteLength(body)}\r\n`;
  return `POST ${o.target ?? '/snapshot'} HTTP/${o.version ?? '1.1'}\r\n${hostLine}${o.headers ?? ''}${cl}${o.close ? 'Connection: close\r\n' : ''}\r\n${body}`;
}

/** `POST /snapshot` whose body is framed by `Transfer-Encoding: <te>` and sent as one chunk. */
function chunked(body: string, te = 'chunked', o: { version?: string; headers?: string; close?: boolean; chunks?: string } = {}): string {
  return `POST /snapshot HTTP/${o.version ?? '1.1'}\r\nHost: ${host}\r\n${o.headers ?? ''}Transfer-Encoding: ${te}\r\n${o.close ? 'Connection: close\r\n' : ''}\r\n${o.chunks ?? oneChunk(body)}`;
}

function oneChunk(body: string, extension = ''): string {
  return `${Buffer.byteLength(body).toString(16)}${extension}\r\n${body}\r\n0\r\n\r\n`;
}

const close = { close: true };
const GARBAGE = 'GARBAGE\x01\x02 not http\r\n\r\n';
/** 2,000 harmless header lines: a line after them must neither hide from the checks nor be judged. */
const MANY_HEADERS = 'a:b\r\n'.repeat(2000);

const rows: Row[] = [
  // --- A. valid framing: forwarded once, answered with the vendor's 202 ---------------------------------
  { name: 'Content-Length body', send: (b) => [post(b[0], close)], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  { name: 'chunked body', send: (b) => [chunked(b[0], 'chunked', close)], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9112 §7: transfer-coding names are case-insensitive.
  { name: 'Transfer-Encoding: ChUnKeD (case)', send: (b) => [chunked(b[0], 'ChUnKeD', close)], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9110 §5.5: OWS around a field value is not part of it.
  { name: 'Transfer-Encoding:<TAB>chunked (leading OWS)', send: (b) => [post('', { length: null, headers: 'Transfer-Encoding:\tchunked\r\n', close: true }) + oneChunk(b[0])], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  { name: 'Content-Length with spaces around the value', send: (b) => [post(b[0], { length: `   ${Buffer.byteLength(b[0])}  `, close: true })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9112 §7.1.1: a recipient ignores unrecognized chunk extensions.
  { name: 'chunk extensions', send: (b) => [chunked(b[0], 'chunked', { close: true, chunks: oneChunk(b[0], ';name=value;q="x y"') })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9112 §7.1.2: trailer fields; none of them reaches the vendor (telegate sends its own head).
  { name: 'trailer fields after the last chunk', send: (b) => [chunked(b[0], 'chunked', { close: true, chunks: `${oneChunk(b[0]).slice(0, -2)}X-Trailer: 1\r\n\r\n` })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
  { name: 'an empty line before the request line', send: (b) => ['\r\n' + post(b[0], close)], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9112 §3.2: Host is required of HTTP/1.1 only; telegate answers HTTP/1.0 and closes.
  { name: 'HTTP/1.0 without Host', send: (b) => [post(b[0], { version: '1.0', host: null })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9112 §3.2: an empty Host is allowed (the target has no authority of its own).
  { name: 'Host with an empty value', send: (b) => [post(b[0], { host: '', close: true })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // RFC 9110 §10.1.1: 100 Continue, then the body, then the final answer.
  { name: 'Expect: 100-continue, body sent after the 100', send: (b) => [post('', { length: String(Buffer.byteLength(b[0])), headers: 'Expect: 100-continue\r\n', close: true }), { waitFor: 'replies', count: 1 }, b[0]], replies: ['100', '202'], forwarded: [0], records: ['forwarded'] },

  // --- B. pipelining and Connection: close (RFC 9112 §9.3.2, §9.6) -----------------------------------
  { name: 'two requests in one write, answered in order', send: (b) => [post(b[0]) + post(b[1], close)], replies: ['202', '202'], forwarded: [0, 1], records: ['forwarded', 'forwarded'] },
  { name: 'two requests in two writes on one connection', send: (b) => [post(b[0]), { waitFor: 'replies', count: 1 }, post(b[1], close)], replies: ['202', '202'], forwarded: [0, 1], records: ['forwarded', 'forwarded'] },
  { name: 'three pipelined, the middle one not JSON (its refusal keeps the connection)', send: (b) => [post(b[0]) + post('not json') + post(b[2], close)], replies: ['202', '400 invalid-json', '202'], forwarded: [0, 2], records: ['forwarded', 'rejected:invalid-json', 'forwarded'] },
  { name: 'pipelined behind a 404 (the refusal closes: the second is never judged)', send: (b) => [post(b[0], { target: '/nope' }) + post(b[1], close)], replies: ['404 not-found'], forwarded: [], records: [] },
  { name: 'Connection: close, then a second request in the same write', send: (b) => [post(b[0], close) + post(b[1])], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  { name: 'Connection: close, then a second request in a later write', send: (b) => [post(b[0], close), { waitFor: 'ms', ms: 30 }, post(b[1])], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  // telegate answers one request per HTTP/1.0 connection, keep-alive or not.
  { name: 'HTTP/1.0 keep-alive, two pipelined', send: (b) => [post(b[0], { version: '1.0', headers: 'Connection: keep-alive\r\n' }) + post(b[1], { version: '1.0', headers: 'Connection: keep-alive\r\n' })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  { name: 'HTTP/1.0, two pipelined', send: (b) => [post(b[0], { version: '1.0' }) + post(b[1], { version: '1.0' })], replies: ['202'], forwarded: [0], records: ['forwarded'] },
  { name: 'HTTP/1.0 keep-alive, second sent after the first reply', send: (b) => [post(b[0], { version: '1.0', headers: 'Connection: keep-alive\r\n' }), { waitFor: 'replies', count: 1 }, post(b[1], { version: '1.0' })], replies: ['202'], forwarded: [0], records: ['forwarded'] },

  // --- C. Transfer-Encoding: only a single `chunked`, never on HTTP/1.0, never with Content-Length -------
  // SPEC §5: Transfer-Encoding on HTTP/1.0 (RFC 9112 §6.1: faulty framing) -> 400, closed.
  { name: 'HTTP/1.0 + chunked, then a second request in the same write', send: (b) => [chunked(b[0], 'chunked', { version: '1.0' }) + post(b[1])], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'HTTP/1.0 + chunked + Content-Length', send: (b) => [post(b[0], { version: '1.0', headers: 'Transfer-Encoding: chunked\r\n' })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  // More header lines than the gateway keeps (2,000) is a refusal of its own: no line can hide behind them.
  { name: 'HTTP/1.0 + chunked after 2,000 other header lines', send: (b) => [chunked(b[0], 'chunked', { version: '1.0', headers: MANY_HEADERS })], replies: ['431 headers-too-large'], forwarded: [], records: [] },
  // SPEC §5: any transfer coding other than a final chunked -> 501 (RFC 9112 §6.1: a coding not understood).
  { name: 'Transfer-Encoding: gzip, chunked', send: (b) => [chunked(b[0], 'gzip, chunked')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: chunked, gzip (chunked not final)', send: (b) => [chunked(b[0], 'chunked, gzip')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: chunked, chunked', send: (b) => [chunked(b[0], 'chunked, chunked')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: chunked on two lines', send: (b) => [chunked(b[0], 'chunked', { headers: 'Transfer-Encoding: chunked\r\n' })], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: xchunked', send: (b) => [chunked(b[0], 'xchunked')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: identity', send: (b) => [chunked(b[0], 'identity')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  // RFC 9110 §5.6.1 lets a recipient skip empty list elements; telegate accepts only the bare token.
  { name: 'Transfer-Encoding: , chunked (empty list element)', send: (b) => [chunked(b[0], ', chunked')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: chunked;x=1 (a parameter)', send: (b) => [chunked(b[0], 'chunked;x=1')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  // Trailing OWS is allowed by RFC 9110 §5.5, but Node's parser refuses this value once the head is
  // complete (after the request reached its route, so the refusal is on the record): nothing forwarded,
  // closed, which is safe.
  { name: 'Transfer-Encoding: chunked<TAB> (trailing tab)', send: (b) => [chunked(b[0], 'chunked\t')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: ['rejected:unsupported-transfer-coding'] },
  { name: 'Transfer-Encoding: chunked<0xA0> (obs-text)', send: (b) => [chunked(b[0], 'chunked\xa0')], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  // RFC 9112 §5.1: whitespace between a field name and the colon MUST be answered 400.
  { name: 'Transfer-Encoding : chunked (space before the colon)', send: (b) => [post('', { length: null, headers: 'Transfer-Encoding : chunked\r\n' }) + oneChunk(b[0])], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: <VT>chunked (a control character)', send: (b) => [chunked(b[0], '\x0bchunked')], replies: ['400 bad-request'], forwarded: [], records: [] },
  // RFC 9112 §5.2: obs-fold is answered 400 (or unfolded); telegate refuses.
  { name: 'Transfer-Encoding folded onto a second line (obs-fold)', send: (b) => [chunked(b[0], 'gzip,\r\n chunked')], replies: ['400 bad-request'], forwarded: [], records: [] },
  // SPEC §5: Content-Length with Transfer-Encoding -> 400 (RFC 9112 §6.3).
  { name: 'Content-Length, then Transfer-Encoding', send: (b) => [post('', { length: '5', headers: '' }).replace('\r\n\r\n', '\r\nTransfer-Encoding: chunked\r\n\r\n') + oneChunk(b[0])], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding, then Content-Length', send: (b) => [chunked(b[0], 'chunked').replace('Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n')], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Transfer-Encoding: identity with Content-Length', send: (b) => [post(b[0], { headers: 'Transfer-Encoding: identity\r\n' })], replies: ['400 bad-framing'], forwarded: [], records: [] },

  // --- D. Content-Length: one line of digits (RFC 9112 §6.3) ------------------------------------------
  { name: 'Content-Length: +N', send: (b) => [post(b[0], { length: `+${Buffer.byteLength(b[0])}` })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length twice, same value', send: (b) => [post(b[0], { headers: `Content-Length: ${Buffer.byteLength(b[0])}\r\n` })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length twice, different values', send: (b) => [post(b[0], { headers: 'Content-Length: 2\r\n' })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length: N, N (a list)', send: (b) => [post(b[0], { length: `${Buffer.byteLength(b[0])}, ${Buffer.byteLength(b[0])}` })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length beyond 2^64', send: (b) => [post(b[0], { length: '99999999999999999999999' })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length in hex', send: (b) => [post(b[0], { length: '0x10' })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length negative', send: (b) => [post(b[0], { length: '-1' })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  { name: 'Content-Length empty', send: (b) => [post(b[0], { length: '' })], replies: ['400 bad-framing'], forwarded: [], records: [] },
  // A vendor route was reached: the refusal is on the record (SPEC §6).
  { name: 'Content-Length over limits.body_bytes', send: () => [post('{"deployment_id":', { length: String(BODY_LIMIT + 1) })], replies: ['413 body-too-large'], forwarded: [], records: ['rejected:body-too-large'] },
  // The bytes past Content-Length are the next message: not HTTP, so the connection is refused, and the
  // request before them, not yet forwarded, with it.
  { name: 'Content-Length shorter than the body sent', send: (b) => [post(b[0], { length: '10' })], replies: ['400 connection-error'], forwarded: [], records: ['rejected:connection-error'] },
  { name: 'POST without Content-Length or Transfer-Encoding, body following', send: (b) => [post(b[0], { length: null })], replies: ['400 connection-error'], forwarded: [], records: ['rejected:connection-error'] },

  // --- E. Host and the target (SPEC §5: two Host lines or a Host disagreeing with an absolute target: 400) -
  { name: 'two Host lines', send: (b) => [post(b[0], { headers: 'Host: evil.example\r\n' })], replies: ['400 bad-host'], forwarded: [], records: [] },
  { name: 'a second Host line after 2,000 other header lines', send: (b) => [post(b[0], { headers: `${MANY_HEADERS}Host: evil.example\r\n` })], replies: ['431 headers-too-large'], forwarded: [], records: [] },
  // RFC 9112 §3.2: an HTTP/1.1 request without Host MUST be answered 400.
  { name: 'HTTP/1.1 without Host', send: (b) => [post(b[0], { host: null })], replies: ['400 bad-host'], forwarded: [], records: [] },
  // SPEC §5: absolute-form targets are refused, whatever Host says.
  { name: 'absolute-form target, Host agreeing', send: (b) => [post(b[0], { target: `http://${host}/snapshot` })], replies: ['400 absolute-form'], forwarded: [], records: [] },
  { name: 'absolute-form target, Host disagreeing', send: (b) => [post(b[0], { target: 'http://evil.example/snapshot' })], replies: ['400 absolute-form'], forwarded: [], records: [] },
  { name: 'asterisk-form target', send: () => [`OPTIONS * HTTP/1.1\r\nHost: ${host}\r\n\r\n`], replies: ['400 absolute-form'], forwarded: [], records: [] },

  // --- F. bytes and line endings (RFC 9112 §2.2, §5) --------------------------------------------------
  { name: 'bare LF line endings', send: (b) => [post(b[0]).replace(/\r\n/g, '\n')], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'one header line ending in a bare LF', send: (b) => [post(b[0], { headers: 'X-A: 1\n' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'a bare CR inside the head', send: (b) => [post(b[0], { headers: 'X-A: 1\rX-B: 2\r\n' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'NUL in a header value', send: (b) => [post(b[0], { headers: 'X-A: a\x00b\r\n' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'NUL in a header name', send: (b) => [post(b[0], { headers: 'X\x00A: ab\r\n' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'NUL in the target', send: (b) => [post(b[0], { target: '/snap\x00shot' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'an obs-fold continuation line', send: (b) => [post(b[0], { headers: 'X-A: a\r\n b\r\n' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'a lower-case method', send: (b) => [post(b[0]).replace(/^POST/, 'post')], replies: ['400 bad-request'], forwarded: [], records: [] },

  // --- G. chunked bodies that break mid-message: the request reached its route, so it is on the record -----
  { name: 'chunk size overflowing 64 bits', send: (b) => [chunked(b[0], 'chunked', { chunks: `1${'0'.repeat(16)}\r\n${b[0]}\r\n0\r\n\r\n` })], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },
  { name: 'chunk size followed by a space', send: (b) => [chunked(b[0], 'chunked', { chunks: oneChunk(b[0], ' ') })], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },
  { name: 'chunk data not followed by CRLF', send: (b) => [chunked(b[0], 'chunked', { chunks: `${Buffer.byteLength(b[0]).toString(16)}\r\n${b[0]}XX0\r\n\r\n` })], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },
  { name: 'a quoted chunk extension holding CRLF', send: (b) => [chunked(b[0], 'chunked', { chunks: oneChunk(b[0], ';a="b\r\nc"') })], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },
  { name: 'a chunk extension ending in a bare LF', send: (b) => [chunked(b[0], 'chunked', { chunks: `${Buffer.byteLength(b[0]).toString(16)};a\n${b[0]}\r\n0\r\n\r\n` })], replies: ['400 bad-request'], forwarded: [], records: ['rejected:bad-request'] },
  { name: 'Content-Length in the trailer', send: (b) => [chunked(b[0], 'chunked', { chunks: `${oneChunk(b[0]).slice(0, -2)}Content-Length: 50\r\n\r\n` })], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },
  { name: 'a chunked body cut short by a request line', send: (b) => [chunked(b[0], 'chunked', { chunks: `${Buffer.byteLength(b[0]).toString(16)}\r\n${b[0]}\r\n${post(b[1])}` })], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },
  { name: 'a bad chunk arriving while the request is being read', send: (b) => [chunked(b[0], 'chunked', { chunks: `${Buffer.byteLength(b[0]).toString(16)}\r\n${b[0]}\r\n` }), { waitFor: 'ms', ms: 50 }, 'zz\r\n'], replies: ['400 bad-framing'], forwarded: [], records: ['rejected:bad-framing'] },

  // --- H. what follows a good request (SPEC §5: a request told 4xx/5xx was not forwarded) ---------------
  { name: 'a valid request, then garbage in the same write', send: (b) => [post(b[0]) + GARBAGE], replies: ['400 connection-error'], forwarded: [], records: ['rejected:connection-error'] },
  { name: 'a valid request, a second, then garbage, in one write', send: (b) => [post(b[0]) + post(b[1]) + GARBAGE], replies: ['400 connection-error'], forwarded: [], records: ['rejected:connection-error'] },
  { name: 'garbage after the reply was sent', send: (b) => [post(b[0]), { waitFor: 'replies', count: 1 }, GARBAGE], replies: ['202', '400 bad-request'], forwarded: [0], records: ['forwarded'] },
  // The request has left (its record is written): it keeps its real reply; the refusal follows it.
  { name: 'garbage while the forwarded request awaits the vendor', slowVendor: true, send: (b) => [post(b[0]), { waitFor: 'condition', until: () => vendorGotSinceRow() >= 1 }, GARBAGE], replies: ['202', '400 bad-request'], forwarded: [0], records: ['forwarded'] },
  { name: 'a second request and garbage while the first awaits the vendor', slowVendor: true, send: (b) => [post(b[0]), { waitFor: 'condition', until: () => vendorGotSinceRow() >= 1 }, post(b[1]) + GARBAGE], replies: ['202', '400 connection-error'], forwarded: [0], records: ['forwarded', 'rejected:connection-error'] },
  { name: 'CONNECT pipelined after a valid request', send: (b) => [post(b[0]) + `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`], replies: ['400 connection-error'], forwarded: [], records: ['rejected:connection-error'] },
  // After an Upgrade request llhttp reads the rest as another protocol: telegate answers it and closes.
  { name: 'Upgrade request with a body, then a second request', send: (b) => [post(b[0], { headers: 'Connection: Upgrade\r\nUpgrade: websocket\r\n' }) + post(b[1])], replies: ['202'], forwarded: [0], records: ['forwarded'] },

  // --- I. versions and expectations --------------------------------------------------------------------
  { name: 'HTTP/1.2', send: (b) => [post(b[0], { version: '1.2' })], replies: ['400 bad-request'], forwarded: [], records: [] },
  { name: 'HTTP/2.0 in an HTTP/1 request line', send: (b) => [post(b[0], { version: '2.0' })], replies: ['505 http-version-not-supported'], forwarded: [], records: [] },
  { name: 'an HTTP/0.9 request line', send: () => ['GET /snapshot\r\n\r\n'], replies: ['505 http-version-not-supported'], forwarded: [], records: [] },
  { name: 'the HTTP/2 connection preface', send: () => ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], replies: ['400 bad-request'], forwarded: [], records: [] },
  // The head is refused before the body is invited: no 100 Continue.
  { name: 'Expect: 100-continue with a refused Transfer-Encoding', send: () => [`POST /snapshot HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nTransfer-Encoding: gzip, chunked\r\n\r\n`], replies: ['501 unsupported-transfer-coding'], forwarded: [], records: [] },
  // RFC 9110 §10.1.1: an expectation the server cannot meet -> 417.
  { name: 'Expect: something else', send: (b) => [post(b[0], { headers: 'Expect: 200-ok\r\n' })], replies: ['417 expectation-failed'], forwarded: [], records: [] },
];

let vendorMark = 0;
function vendorGotSinceRow(): number {
  return vendor.received.length - vendorMark;
}

/** `202`, or `400 bad-framing` for telegate's own refusals (their JSON `error`). */
function label(reply: RawReply): string {
  try {
    const error = (JSON.parse(reply.body) as { error?: unknown }).error;
    if (typeof error === 'string') return `${reply.status} ${error}`;
  } catch {
    // not telegate's JSON: the vendor's reply, or an interim one
  }
  return String(reply.status);
}

function recordLabel(r: ReadRecord): string {
  return r.record['decision'] === 'rejected' ? `rejected:${String(r.record['reason'])}` : String(r.record['decision']);
}

let expectedVendorTotal = 0;
let expectedRecordTotal = 0;
let recordsAtStart = 0;
let vendorAtStart = 0;

describe('strict framing: the instance, the vendor and the audit log agree on every conversation', () => {
  beforeAll(async () => {
    recordsAtStart = egressRecords(await readAuditRecords(gw.auditDir)).length;
    vendorAtStart = vendor.received.length;
  });

  test('the table has at least 40 rows, each named once', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  test.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const bodies: Bodies = [0, 1, 2].map(() => JSON.stringify({ deployment_id: randomUUID() })) as Bodies;
    const recordsBefore = egressRecords(await readAuditRecords(gw.auditDir)).length;
    vendorMark = vendor.received.length;
    vendor.behave(row.slowVendor ? { kind: 'delay', ms: 300, status: 202 } : { kind: 'reply', status: 202 });
    try {
      const conversation = await converse(gw.url, row.send(bodies));
      const received = vendor.received.slice(vendorMark);
      const records = egressRecords(await readAuditRecords(gw.auditDir)).slice(recordsBefore);
      expect({
        replies: conversation.replies.map(label),
        closedByServer: conversation.closedByServer,
        vendor: received.map((r) => r.body.toString('utf8')),
        records: records.map(recordLabel),
      }).toEqual({
        replies: row.replies,
        closedByServer: true,
        vendor: row.forwarded.map((i) => bodies[i]),
        records: row.records,
      });
      // The forwarded records hold exactly what the vendor got, and name the requests answered 2xx.
      const forwarded = records.filter((r) => r.record['decision'] === 'forwarded');
      expect(forwarded.map((r) => r.bodyBytes?.toString('utf8'))).toEqual(received.map((r) => r.body.toString('utf8')));
      const okIds = conversation.replies.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.headers['x-request-id']);
      expect(forwarded.map((r) => r.record['id'])).toEqual(okIds);
      // A refusal telegate recorded is the one the instance was answered (same request id).
      const refusalIds = conversation.replies.filter((r) => r.status >= 400).map((r) => r.headers['x-request-id']).filter((id) => id !== undefined);
      for (const rejected of records.filter((r) => r.record['decision'] === 'rejected')) expect(refusalIds).toContain(rejected.record['id']);
      expectedVendorTotal += row.forwarded.length;
      expectedRecordTotal += row.records.length;
    } finally {
      vendor.behave({ kind: 'reply', status: 202 });
    }
  });

  test('nothing reached the vendor or the audit log late, after its conversation had ended', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(vendor.received.length - vendorAtStart).toBe(expectedVendorTotal);
    expect(egressRecords(await readAuditRecords(gw.auditDir)).length - recordsAtStart).toBe(expectedRecordTotal);
  });
});

describe('a global --insecure-http-parser does not loosen the egress listener', () => {
  // An operator's NODE_OPTIONS (or a base image's) could turn on every llhttp leniency process-wide;
  // the listener passes insecureHTTPParser: false itself, which wins over the flag.
  let dir: string;
  let lenient: GatewayProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'telegate-framing-'));
    lenient = await spawnGateway({
      NODE_OPTIONS: '--insecure-http-parser',
      TELEGATE_AUDIT_DIR: path.join(dir, 'audit'), TELEGATE_DATA_DIR: path.join(dir, 'data'), TELEGATE_POLICIES: POLICIES,
      TELEGATE_HASH_KEY: TEST_HASH_KEY, TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url,
    });
  });

  afterAll(async () => {
    lenient?.child.kill('SIGTERM');
    if (lenient) await lenient.exited;
    await rm(dir, { recursive: true, force: true });
  });

  // A plain Node server under --insecure-http-parser accepts the first three and leaves the fourth unanswered.
  test.each([
    ['an obs-fold continuation line', (body: string) => post(body, { headers: 'X-A: a\r\n b\r\n' }), '400 bad-request'],
    ['bare LF line endings', (body: string) => post(body).replace(/\r\n/g, '\n'), '400 bad-request'],
    ['NUL in a header value', (body: string) => post(body, { headers: 'X-A: a\x00b\r\n' }), '400 bad-request'],
    ['Transfer-Encoding: chunked<TAB>', (body: string) => chunked(body, 'chunked\t'), '501 unsupported-transfer-coding'],
  ])('%s is still refused, and nothing is forwarded', async (_name, request, refusal) => {
    const before = vendor.received.length;
    const conversation = await converse(lenient!.url, [request(JSON.stringify({ deployment_id: randomUUID() }))]);
    expect(conversation.replies.map(label)).toEqual([refusal]);
    expect(conversation.closedByServer).toBe(true);
    expect(vendor.received.length).toBe(before);
  });
});
