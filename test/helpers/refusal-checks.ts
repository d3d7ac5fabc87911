/**
 * What every refusal must show, checked the same way in every hostile-input and failure test: the
 * instance gets the status and a `{"error", "detail"}` JSON body; the audit log holds the `rejected`
 * record naming the reason; and the gateway, right after, still forwards a good request.
 */
import { randomUUID } from 'node:crypto';
import { egressRecords, readAuditRecords } from './audit-records';
import { httpCall } from './http-call';
import type { StandInVendor } from './stand-in-vendor';

export interface AnyReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The reply is telegate's own refusal: `status`, and exactly `{"error": code, "detail": <text>}`. */
export function expectRefusal(reply: AnyReply, status: number, code: string): void {
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    throw new Error(`reply ${reply.status} is not JSON: ${JSON.stringify(reply.body.slice(0, 200))}`);
  }
  expect({ status: reply.status, error: (body as { error?: unknown }).error }).toEqual({ status, error: code });
  expect(Object.keys(body as object).sort()).toEqual(['detail', 'error']);
  const detail = (body as { detail: unknown }).detail;
  expect(typeof detail).toBe('string');
  expect((detail as string).length).toBeGreaterThan(0);
}

export function requestIdOf(reply: AnyReply): string {
  const id = reply.headers['x-request-id'];
  if (typeof id !== 'string') throw new Error(`reply ${reply.status} has no x-request-id`);
  return id;
}

/** The egress record of request `id`, or undefined when none was written. */
export async function egressRecordOf(auditDir: string, id: string): Promise<Record<string, unknown> | undefined> {
  return egressRecords(await readAuditRecords(auditDir)).find((r) => r.record['id'] === id)?.record;
}

/** The request was refused on the record too: `rejected`, for `reason`, and nothing said to be sent. */
export async function expectRejectedRecord(auditDir: string, reply: AnyReply, reason: string): Promise<void> {
  const record = await egressRecordOf(auditDir, requestIdOf(reply));
  expect(record).toBeDefined();
  expect({ decision: record?.['decision'], reason: record?.['reason'] }).toEqual({ decision: 'rejected', reason });
  expect(record).not.toHaveProperty('body');
  expect(record).not.toHaveProperty('upstream');
}

export async function egressCount(auditDir: string): Promise<number> {
  return egressRecords(await readAuditRecords(auditDir)).length;
}

/**
 * A good Coder snapshot through `gatewayUrl` (Coder at level 2, so it passes unchanged) is answered by
 * the vendor and reaches it whole: the gateway was not left broken by what came before.
 */
export async function expectStillServing(gatewayUrl: string, vendor: StandInVendor, endpoint = '/snapshot'): Promise<void> {
  const body = JSON.stringify({ deployment_id: randomUUID() });
  const before = vendor.received.length;
  const reply = await httpCall(`${gatewayUrl}${endpoint}`, { method: 'POST', body, headers: { 'x-coder-version': 'v2.24.1' } });
  expect(reply.status).toBe(202);
  expect(vendor.received.length).toBe(before + 1);
  expect(vendor.received[before]?.body.toString('utf8')).toBe(body);
}
