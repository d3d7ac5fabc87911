/**
 * Egress volume per vendor over time, in hour or day buckets (UTC), for the console's chart: requests
 * (every egress record, whatever the decision) and bytes sent upstream. Empty buckets are zeros, so a
 * quiet hour shows as a dip, not a gap. Memory: one number pair per vendor and bucket.
 */
import { inTimeRange } from './egress-filter';
import type { AuditScan } from './record-scan';
import { egressEntries } from './search';

export type VolumeBucket = 'hour' | 'day';

export const BUCKET_MS: Record<VolumeBucket, number> = { hour: 3_600_000, day: 86_400_000 };
/** A chart wider than this says nothing more; the caller narrows the window. */
export const MAX_BUCKETS = 24 * 62;

export interface VendorVolume { vendor: string; requests: number[]; bytes: number[] }

export interface VolumeReport {
  bucket: VolumeBucket;
  /** Start of every bucket, epoch ms, oldest first. */
  starts: number[];
  vendors: VendorVolume[];
}

export interface VolumeWindow {
  bucket: VolumeBucket;
  /** Inclusive, epoch ms; rounded down to a bucket start. */
  since: number;
  /** Exclusive, epoch ms; rounded up to a bucket end. */
  until: number;
}

export function alignWindow(window: VolumeWindow): { since: number; until: number; count: number } {
  const size = BUCKET_MS[window.bucket];
  const since = Math.floor(window.since / size) * size;
  let until = Math.ceil(window.until / size) * size;
  if (until <= since) until = since + size;
  const count = Math.min(MAX_BUCKETS, (until - since) / size);
  return { since: until - count * size, until, count };
}

export async function volumeReport(scan: AuditScan, window: VolumeWindow): Promise<VolumeReport> {
  const { since, until, count } = alignWindow(window);
  const size = BUCKET_MS[window.bucket];
  const byVendor = new Map<string, VendorVolume>();
  for await (const e of egressEntries(scan, { since })) {
    if (!inTimeRange(e.ts, since, until)) continue;
    const i = Math.floor((Date.parse(e.ts) - since) / size);
    let v = byVendor.get(e.vendor);
    if (!v) byVendor.set(e.vendor, v = { vendor: e.vendor, requests: new Array<number>(count).fill(0), bytes: new Array<number>(count).fill(0) });
    v.requests[i] = (v.requests[i] ?? 0) + 1;
    v.bytes[i] = (v.bytes[i] ?? 0) + e.bytes;
  }
  const starts = Array.from({ length: count }, (_, i) => since + i * size);
  return { bucket: window.bucket, starts, vendors: [...byVendor.values()].sort((a, b) => (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : 0)) };
}
