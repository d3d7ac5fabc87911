/**
 * Open-loop load at a fixed rate (what wrk2 does; wrk2 is not packaged in Debian and autocannon is not
 * a dependency). Request i is due at start + i/rate whatever happened to earlier ones, and its latency
 * counts from that due time, not from when it was actually written: a stall in the server therefore
 * shows up in every request that should have been sent during it (no "coordinated omission", which is
 * what plain wrk suffers: a closed loop simply stops sending while the server stalls, and the stall
 * shows as one slow request). Requests go over a bounded pool of keep-alive connections; one that
 * finds them all busy waits, and the wait is counted.
 *
 * Percentiles are exact (every latency is kept and sorted: 10 s at 1,000/s is 10,000 numbers).
 * Run as its own process so the timer loop shares no event loop with the orchestrator:
 *   node open-loop.js '{"url":…,"bodyFile":…,"headers":{…},"rate":1000,"seconds":10,"connections":64}'
 * and it prints one JSON line (OpenLoopResult).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface OpenLoopLoad { url: string; bodyFile: string; headers: Record<string, string>; rate: number; seconds: number; connections: number }

export interface OpenLoopResult {
  sent: number;
  ok: number;
  /** Answers with status >= 400, and requests that failed or did not finish in time. */
  failed: number;
  /** Of those: answers with status >= 400 (the rest are socket errors or no answer within 10 s). */
  badStatus: number;
  achievedRps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function openLoop(load: OpenLoopLoad): Promise<OpenLoopResult> {
  const body = readFileSync(load.bodyFile);
  const target = new URL(load.url);
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const headers = { ...load.headers, 'content-length': String(body.length) };
  const total = Math.round(load.rate * load.seconds);
  const interval = 1000 / load.rate;
  const latencies = new Float64Array(total);
  let ok = 0;
  let badStatus = 0;
  let finished = 0;
  let lastEnd = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => { allDone = resolve; });

  const settle = (): void => {
    if (++finished === total) allDone();
  };
  const send = (due: number): void => {
    const req = request({ agent, method: 'POST', host: target.hostname, port: target.port, path: target.pathname, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const end = performance.now();
        lastEnd = end;
        if ((res.statusCode ?? 0) < 400) latencies[ok++] = end - due;
        else badStatus++;
        settle();
      });
    });
    req.on('error', settle);
    req.end(body);
  };

  const start = performance.now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) send(start + next++ * interval);
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 20);
  });
  // Whatever has not answered 10 s after the last send is counted as failed.
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
  await Promise.race([done, deadline]);
  agent.destroy();
  const sorted = latencies.slice(0, ok).sort();
  return {
    sent: total, ok, failed: total - ok, badStatus,
    achievedRps: ok / ((lastEnd - start) / 1000),
    p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9), maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

if (require.main === module) {
  openLoop(JSON.parse(process.argv[2] ?? '{}') as OpenLoopLoad).then(
    (result) => { process.stdout.write(`${JSON.stringify(result)}\n`); },
    (error: unknown) => { process.stderr.write(`open-loop failed: ${String(error)}\n`); process.exitCode = 1; },
  );
}
