/** Timing helpers shared by the benchmarks: warm up, then take the median of interleaved runs. */
export interface Sample { medianMs: number; minMs: number; runs: number }

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs each candidate `runs` times, alternating between them so that machine noise (the other core, GC,
 * thermal state) falls on all of them alike. Returns one sample per candidate, in order.
 */
export function interleaved(candidates: (() => unknown)[], runs: number, warmup = 1): Sample[] {
  const times: number[][] = candidates.map(() => []);
  for (let w = 0; w < warmup; w++) for (const fn of candidates) fn();
  for (let r = 0; r < runs; r++) {
    candidates.forEach((fn, i) => {
      const start = performance.now();
      fn();
      times[i]!.push(performance.now() - start);
    });
  }
  return times.map((t) => ({ medianMs: median(t), minMs: Math.min(...t), runs: t.length }));
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
