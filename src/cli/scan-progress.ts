/**
 * Progress of a long scan on stderr, only when stderr is a terminal: piped or captured output (scripts,
 * CI, tests) stays clean. Nothing is shown for scans that finish within a second.
 */
import type { ScanProgress } from '../audit/query/record-scan';
import { processIO, type CliIO } from './io';

const SHOW_AFTER_MS = 1000;
const EVERY_MS = 250;
/** Checking the clock on every line would cost more than the line. */
const CHECK_EVERY = 2048;

export interface ScanProgressReporter {
  onProgress?: (p: ScanProgress) => void;
  done(): void;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

export function scanProgress(io: CliIO): ScanProgressReporter {
  if (io !== processIO || process.stderr.isTTY !== true) return { done: () => undefined };
  const start = Date.now();
  let lastShown = 0;
  let calls = 0;
  let shown = false;
  return {
    onProgress: (p) => {
      if (++calls % CHECK_EVERY !== 0) return;
      const t = Date.now();
      if (t - start < SHOW_AFTER_MS || t - lastShown < EVERY_MS) return;
      lastShown = t;
      shown = true;
      const pct = p.bytesTotal > 0 ? Math.min(100, Math.floor((p.bytesRead / p.bytesTotal) * 100)) : 100;
      io.stderr(`\rscanning ${mb(p.bytesRead)} of ${mb(p.bytesTotal)} (${pct}%)\u001b[K`);
    },
    done: () => {
      if (shown) io.stderr('\r\u001b[K');
    },
  };
}
