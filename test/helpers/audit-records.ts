/**
 * Reads an audit folder back for assertions: every record parsed, and each egress record's `body` as the
 * exact bytes embedded in its line, so a test compares them byte for byte with what the vendor received.
 */
import { listChains, readChainRecords } from '../../src/audit';

export interface ReadRecord {
  record: Record<string, unknown>;
  /** The chain the record is in: its replica id, null for the unnamed one. */
  replica: string | null;
  /** The `body` member's bytes exactly as written, when present. */
  bodyBytes?: Buffer;
}

export async function readAuditRecords(dir: string): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (const chain of await listChains(dir)) {
    for await (const line of readChainRecords(chain)) {
      const parsed = line.parsed;
      if (!parsed.ok) throw new Error(`${line.file.name}:${line.line}: unreadable record`);
      const record: Record<string, unknown> = { ...parsed.record };
      const range = parsed.body;
      const replica = chain.replica;
      out.push(range ? { record, replica, bodyBytes: Buffer.from(line.bytes.subarray(range.start, range.end)) } : { record, replica });
    }
  }
  return out;
}

export const egressRecords = (records: ReadRecord[]): ReadRecord[] => records.filter((r) => r.record['type'] === 'egress');
