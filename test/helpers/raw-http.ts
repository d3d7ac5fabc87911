/**
 * HTTP/1.1 written by hand over a TCP socket, for requests no well-behaved client library will send:
 * absolute-form targets, CONNECT, oversized headers, bodies that trickle in or never end. The reply is
 * whatever arrives until the server closes the connection (or the exchange's first reply is complete).
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawReply {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** Every byte received, for assertions on what was not sent. */
  raw: string;
}

export function parseRawReply(raw: Buffer): RawReply {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete HTTP reply head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  const length = headers['content-length'];
  if (length !== undefined) body = body.subarray(0, Number(length));
  else if (headers['transfer-encoding'] === 'chunked') body = dechunk(body).body;
  return { status: Number(match[1]), headers, body: body.toString('utf8'), raw: text };
}

/** The data of a chunked body, and whether its last (zero-size) chunk has arrived. */
function dechunk(bytes: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('malformed chunked reply body');
    if (size === 0) return { body: Buffer.concat(parts), complete: bytes.indexOf('\r\n', lineEnd + 2) >= 0 };
    if (bytes.length < lineEnd + 2 + size + 2) return { body: Buffer.concat(parts), complete: false };
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** Opens a TLS connection to the origin of `url`, verifying its certificate for `servername`. */
export function openTlsSocket(url: string, tls: { ca: Buffer; servername: string }): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: tls.ca, servername: tls.servername }, () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

/** Opens a connection to the origin of `url`. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

/**
 * Collects what `socket` receives until a whole reply (head and Content-Length or chunked body) is in, or the
 * server closes. A reset after the reply arrived still yields the reply: a server refusing a body it
 * did not read may reset the connection behind its answer.
 */
export function readReply(socket: Socket): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const complete = (): RawReply | undefined => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const reply = parseRawReply(raw);
      const length = reply.headers['content-length'];
      if (length !== undefined) return raw.length - (end + 4) < Number(length) ? undefined : reply;
      if (reply.headers['transfer-encoding'] === 'chunked') return dechunk(raw.subarray(end + 4)).complete ? reply : undefined;
      return undefined;
    };
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      socket.off('data', onData);
      if (chunks.length === 0) return reject(error ?? new Error('the server closed the connection without a reply'));
      try {
        resolve(parseRawReply(Buffer.concat(chunks)));
      } catch (parseError) {
        reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
      }
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const reply = complete();
      if (reply && !settled) {
        settled = true;
        socket.off('data', onData);
        resolve(reply);
      }
    };
    socket.on('data', onData);
    socket.once('end', () => finish());
    socket.once('close', () => finish());
    socket.once('error', (error) => finish(error));
  });
}

/** Sends `bytes` on a fresh connection and returns the reply; the socket is destroyed afterwards. */
export async function rawExchange(url: string, bytes: Buffer | string): Promise<RawReply> {
  const socket = await openSocket(url);
  try {
    const reply = readReply(socket);
    socket.write(bytes);
    return await reply;
  } finally {
    socket.destroy();
  }
}

/**
 * Every reply a connection carried, in order, 1xx interim replies included: the bytes split at each
 * reply's end (Content-Length, or a complete chunked body). Bytes after the last whole reply are
 * returned as `rest` (a reply cut off by the close).
 */
export function parseRawReplies(raw: Buffer): { replies: RawReply[]; rest: Buffer } {
  const replies: RawReply[] = [];
  let at = 0;
  while (at < raw.length) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const reply = parseRawReply(raw.subarray(at));
    let end = headEnd + 4;
    if (reply.status >= 100 && reply.status < 200) {
      // interim: a head only
    } else if (reply.headers['content-length'] !== undefined) {
      end += Number(reply.headers['content-length']);
      if (end > raw.length) break;
    } else if (reply.headers['transfer-encoding'] === 'chunked') {
      const tail = chunkedEnd(raw, end);
      if (tail < 0) break;
      end = tail;
    } else {
      end = raw.length; // body until close
    }
    replies.push(reply);
    at = end;
  }
  return { replies, rest: raw.subarray(at) };
}

/** The offset just past a chunked body starting at `from` (last chunk and empty trailer), or -1. */
function chunkedEnd(bytes: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return -1;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('malformed chunked reply body');
    if (size === 0) {
      const end = bytes.indexOf('\r\n\r\n', lineEnd);
      return end < 0 ? -1 : end + 4;
    }
    at = lineEnd + 2 + size + 2;
    if (at > bytes.length) return -1;
  }
}

/** One step of a scripted conversation: bytes to write, or something to wait for before the next write. */
export type ConversationStep =
  | string
  | Buffer
  | { waitFor: 'replies'; count: number }
  | { waitFor: 'condition'; until: () => boolean }
  | { waitFor: 'ms'; ms: number };

export interface Conversation {
  replies: RawReply[];
  /** The server closed the connection (rather than the time running out). */
  closedByServer: boolean;
  /** Bytes after the last whole reply. */
  rest: string;
}

/**
 * Runs `steps` on a fresh connection, then reads until the server closes it (at most `timeoutMs`, after
 * which the connection is closed here and `closedByServer` is false). Writes the server no longer takes
 * (it closed early) are dropped: what counts is what it answered.
 */
export interface ConverseOptions {
  timeoutMs?: number;
  /** Speak over TLS (an https listener): the CA to trust and the name to ask for. */
  tls?: { ca: Buffer; servername: string };
}

export async function converse(url: string, steps: readonly ConversationStep[], options: ConverseOptions = {}): Promise<Conversation> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = options.tls ? await openTlsSocket(url, options.tls) : await openSocket(url);
  const chunks: Buffer[] = [];
  let closed = false;
  let closedByServer = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve(); }));
  const deadline = Date.now() + timeoutMs;
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready() && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    for (const step of steps) {
      if (typeof step === 'string' || Buffer.isBuffer(step)) {
        if (!closed && socket.writable) socket.write(typeof step === 'string' ? Buffer.from(step, 'latin1') : step);
      } else if (step.waitFor === 'replies') {
        await until(() => parseRawReplies(Buffer.concat(chunks)).replies.length >= step.count);
      } else if (step.waitFor === 'condition') {
        await until(step.until);
      } else {
        await new Promise((r) => setTimeout(r, step.ms));
      }
    }
    const timer = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref());
    await Promise.race([ended, timer]);
  } finally {
    closedByServer = closed;
    socket.destroy();
  }
  const parsed = parseRawReplies(Buffer.concat(chunks));
  return { replies: parsed.replies, closedByServer, rest: parsed.rest.toString('latin1') };
}
