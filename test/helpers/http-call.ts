/**
 * One HTTP exchange on a fresh connection (no pooled sockets that could outlive a gateway under test),
 * the reply read whole. Tests use it for the admin port and for instances posting telemetry.
 */
import { request } from 'node:http';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export function httpCall(url: string, call: HttpCall = {}): Promise<HttpReply> {
  const body = call.body === undefined ? undefined : Buffer.from(call.body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: call.method ?? 'GET',
      agent: false,
      headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...call.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The reply's body as JSON; fails the test with the body in the message if it is not JSON. */
export function jsonOf(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    throw new Error(`reply ${reply.status} is not JSON: ${reply.body.slice(0, 200)}`);
  }
}

/** Polls `probe` until it returns a value, at most `timeoutMs`; for state that settles asynchronously. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
