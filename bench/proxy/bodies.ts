/**
 * Request bodies for the proxy bench, written to files the load generators read:
 *   - a 20-event RudderStack batch as Automatisch's SDK 1.x sends it (the pack's fixture events, cycled
 *     with fresh messageIds), about 14 kB;
 *   - a ~50 MB Coder snapshot (5,000 users) from the snapshot generator.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCoderSnapshot } from '../coder-snapshot-generator';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'policies', 'tests', 'automatisch-sdk1.input.json');

/** Automatisch's RudderStack write key (public, in its telemetry helper) as Basic user name: the pack pins it. */
export const RUDDER_AUTHORIZATION = `Basic ${Buffer.from('284Py4VgK2MsNYV7xlKzyrALx0v:').toString('base64')}`;

export function rudderBatch(events: number): Buffer {
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { batch: Record<string, unknown>[]; sentAt: string };
  const batch = Array.from({ length: events }, (_, i) => ({
    ...fixture.batch[i % fixture.batch.length]!,
    messageId: `node-bench-${i.toString().padStart(4, '0')}-db58a1e4-e8c9-4ec7-aa22-0fc14038eeb1`,
  }));
  return Buffer.from(JSON.stringify({ batch, sentAt: fixture.sentAt }), 'utf8');
}

export interface BodyFiles { batchFile: string; batchBytes: number; snapshotFile: string; snapshotBytes: number }

export function writeBodies(dir: string, snapshotUsers: number): BodyFiles {
  const batch = rudderBatch(20);
  const snapshot = generateCoderSnapshot(snapshotUsers).body;
  const batchFile = path.join(dir, 'batch-20.json');
  const snapshotFile = path.join(dir, `snapshot-${snapshotUsers}.json`);
  writeFileSync(batchFile, batch);
  writeFileSync(snapshotFile, snapshot);
  return { batchFile, batchBytes: batch.length, snapshotFile, snapshotBytes: snapshot.length };
}
