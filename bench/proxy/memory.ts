/**
 * Memory a snapshot costs: telegate's resident set while one ~50 MB Coder snapshot passes through it,
 * minus its idle resident set, as a multiple of the body size. Measured on a telegate that has served
 * only small batches (so its idle set is a warm process's, not one inflated by an earlier snapshot), and
 * for a second snapshot right after the first (steady state: caches and heap already grown once).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { readRss, resetPeak } from './rss';

export interface MemoryResult { bodyBytes: number; idleRss: number; peaks: number[]; resetWorked: boolean }

export function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ method: 'POST', host: target.hostname, port: target.port, path: target.pathname,
      headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function measureSnapshotMemory(pid: number, url: string, snapshotFile: string, headers: Record<string, string>, runs = 2): Promise<MemoryResult> {
  const body = readFileSync(snapshotFile);
  // Let the warm-up's garbage settle: RSS does not fall by itself, but a quiet process is what "idle" means.
  await new Promise((r) => setTimeout(r, 1000));
  const idleRss = readRss(pid).rssBytes;
  const peaks: number[] = [];
  let resetWorked = true;
  for (let i = 0; i < runs; i++) {
    resetWorked = resetPeak(pid) && resetWorked;
    const status = await post(`${url}/snapshot`, body, headers);
    if (status !== 202) throw new Error(`telegate answered ${status} to the snapshot, not the vendor's 202`);
    peaks.push(readRss(pid).hwmBytes);
  }
  return { bodyBytes: body.length, idleRss, peaks, resetWorked };
}
