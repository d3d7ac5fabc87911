/**
 * Follows an audit folder as it grows: each call returns the bytes and whole records appended since the
 * last call, so a long fuzz or soak run reads every byte once instead of re-reading the log per request.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface AuditTail {
  /** Raw bytes and parsed records (JSON.parse: big numbers in bodies may round, ids and decisions do not) appended since the last call. */
  next(): Promise<{ text: string; records: Record<string, unknown>[] }>;
}

export function tailAudit(dir: string): AuditTail {
  const offsets = new Map<string, number>();
  return {
    async next() {
      const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
      let text = '';
      for (const name of names) {
        const from = offsets.get(name) ?? 0;
        const handle = await open(path.join(dir, name), 'r');
        try {
          const { size } = await handle.stat();
          if (size <= from) continue;
          const buffer = Buffer.alloc(size - from);
          await handle.read(buffer, 0, buffer.length, from);
          // Only whole lines: a record being written now is read next time.
          const end = buffer.lastIndexOf(0x0a) + 1;
          offsets.set(name, from + end);
          text += buffer.subarray(0, end).toString('utf8');
        } finally {
          await handle.close();
        }
      }
      const records = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      return { text, records };
    },
  };
}
