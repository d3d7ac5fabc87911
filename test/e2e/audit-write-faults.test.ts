/**
 * Audit write errors injected into a running gateway (the writer's file-ops seam), beyond the failing
 * fdatasync of failure-cases: a write that lands half a batch and then fails while eight requests share
 * that batch, and a failed write whose leftovers cannot even be cut off (ftruncate fails too). Either
 * way every request in the batch is refused with 503 and nothing of it is forwarded; nothing is
 * appended after unacknowledged bytes; once the disk recovers the gateway forwards again and the log
 * verifies whole, every forwarded body with its record.
 */
import { createHash, randomUUID } from 'node:crypto';
import { verifyAuditDir } from '../../src/audit';
import { nodeFileOps, type AuditFileOps } from '../../src/audit/file-ops';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall, type HttpReply } from '../helpers/http-call';
import { expectRefusal } from '../helpers/refusal-checks';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const eio = (call: string): Error => Object.assign(new Error(`EIO: i/o error, ${call}`), { code: 'EIO' });

const post = (url: string): Promise<HttpReply> => httpCall(`${url}/snapshot`, {
  method: 'POST',
  body: JSON.stringify({ deployment_id: randomUUID(), users: [{ id: randomUUID(), email: 'someone@example.com', status: 'active' }] }),
  headers: { 'x-coder-version': 'v2.24.1' },
});

describe('audit write errors in a running gateway', () => {
  let vendor: StandInVendor;
  let gw: TestGateway;
  /** Next writev: write half of what it is given, then fail every later writev while `failing`. */
  let fault: 'none' | 'half-then-fail' | 'failing' = 'none';
  let truncateFails = false;
  const ops: AuditFileOps = {
    ...nodeFileOps,
    writev: async (fd, chunks) => {
      if (fault === 'failing') throw eio('write');
      if (fault === 'half-then-fail') {
        fault = 'failing';
        const all = Buffer.concat(chunks);
        return nodeFileOps.writev(fd, [all.subarray(0, Math.max(1, Math.floor(all.length / 2)))]);
      }
      return nodeFileOps.writev(fd, chunks);
    },
    ftruncate: async (fd, length) => {
      if (truncateFails) throw eio('ftruncate');
      return nodeFileOps.ftruncate(fd, length);
    },
  };

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url }, auditSeams: { fileOps: ops } });
  });
  afterAll(async () => {
    fault = 'none';
    truncateFails = false;
    await gw.close();
    await vendor.close();
  });

  async function expectWholeAndAccounted(): Promise<void> {
    expect((await verifyAuditDir(gw.auditDir)).firstError).toBeUndefined();
    const recorded = new Set(egressRecords(await readAuditRecords(gw.auditDir))
      .filter((r) => r.record['decision'] === 'forwarded').map((r) => sha256(r.bodyBytes!)));
    expect(vendor.received.filter((r) => !recorded.has(sha256(r.body)))).toEqual([]);
  }

  test('half a batch written, then the disk fails: all eight requests 503, none forwarded; recovery forwards again', async () => {
    expect((await post(gw.url)).status).toBe(202);
    const before = vendor.received.length;
    fault = 'half-then-fail';
    const replies = await Promise.all(Array.from({ length: 8 }, () => post(gw.url)));
    for (const r of replies) expectRefusal(r, 503, 'audit-unavailable');
    expect(vendor.received.length).toBe(before);

    fault = 'none';
    expect((await post(gw.url)).status).toBe(202);
    expect(vendor.received.length).toBe(before + 1);
    await expectWholeAndAccounted();
  });

  test('a failed write whose leftovers cannot be cut off: refused until they can, then the chain continues', async () => {
    const before = vendor.received.length;
    fault = 'half-then-fail';
    truncateFails = true;
    expectRefusal(await post(gw.url), 503, 'audit-unavailable');
    // The disk takes writes again, but the half-written record still sits in the file: nothing may follow it.
    fault = 'none';
    expectRefusal(await post(gw.url), 503, 'audit-unavailable');
    expect(vendor.received.length).toBe(before);

    truncateFails = false;
    const replies = await Promise.all(Array.from({ length: 4 }, () => post(gw.url)));
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expect(vendor.received.length).toBe(before + 4);
    await expectWholeAndAccounted();
  });
});
