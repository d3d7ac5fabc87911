/**
 * Resident memory of another process from /proc/<pid>/status. VmHWM is the peak since the process
 * started, or since the last reset: writing 5 to /proc/<pid>/clear_refs (Linux 4.0+, same user or root)
 * makes the peak start again from now, so one request's peak can be read without a fresh process.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface Rss { rssBytes: number; hwmBytes: number }

export function readRss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** Starts the peak (VmHWM) again from the current RSS; false where the kernel does not allow it. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
