/**
 * `npm run bench:fairness`: issue 14's slow-client case. One client (from 127.0.0.2) keeps `--attack`
 * connections open, each sending a request head and then one body byte every 5 s, and opens a new one
 * whenever one is closed; meanwhile another instance (from 127.0.0.1) posts small RudderStack batches at
 * a fixed rate, each on a fresh connection. Measured twice in one run, on the same build:
 *
 * - `defaults`: limits.connections_per_client, body_timeout_ms and body_min_rate as shipped;
 * - `caps off`: connections_per_client = connections and body_timeout_ms = 120 s, the behaviour before
 *   (a body could trickle for Node's whole request timeout, and one peer could take every connection).
 *
 * Prints, for each, the share of the instance's batches answered 2xx, their latency, and how many
 * connections the slow client held at the end. Usage: node dist/bench/connection-fairness.js
 * [--attack N] [--seconds N] [--rate N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { table } from './measure';
import { RUDDER_AUTHORIZATION, rudderBatch } from './proxy/bodies';
import { startStandIn, startTelegate } from './proxy/targets';

interface Options { attack: number; seconds: number; rate: number }

function parseArgs(argv: string[]): Options {
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return { attack: value('--attack', 1024), seconds: value('--seconds', 20), rate: value('--rate', 20) };
}

/** The slow client: keeps `count` trickling connections open, replacing each one the gateway closes. */
function slowClient(url: string, count: number): { held: () => number; stop: () => void } {
  const port = Number(new URL(url).port);
  const open = new Set<Socket>();
  /** When each connection was accepted (its connect event): one the gateway closes at once is not held. */
  const since = new Map<Socket, number>();
  let stopped = false;
  const one = (): void => {
    if (stopped) return;
    const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    open.add(socket);
    let trickle: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      since.set(socket, performance.now());
      socket.write('POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
      trickle = setInterval(() => { if (socket.writable) socket.write(' '); }, 5_000);
    });
    socket.on('error', () => undefined);
    // Read (and drop) what the gateway says, so its close is seen at once.
    socket.resume();
    socket.on('close', () => {
      clearInterval(trickle);
      open.delete(socket);
      since.delete(socket);
      // A persistent attacker: back a second later (sooner, and the reconnecting itself is the load).
      if (!stopped) setTimeout(one, 1_000);
    });
  };
  for (let i = 0; i < count; i++) one();
  return {
    held: () => {
      const now = performance.now();
      return [...since.values()].filter((t) => now - t > 1_000).length;
    },
    stop: () => { stopped = true; for (const s of open) s.destroy(); },
  };
}

function post(url: string, body: Buffer): Promise<{ ok: boolean; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const target = new URL(url);
    const req = request({
      method: 'POST', host: target.hostname, port: target.port, path: '/v1/batch', agent: false, timeout: 30_000,
      headers: { 'content-type': 'application/json', authorization: RUDDER_AUTHORIZATION, 'content-length': String(body.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: (res.statusCode ?? 0) < 300, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(name: string, configYaml: string, upstream: string, options: Options): Promise<(string | number)[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-fairness-'));
  const gw = await startTelegate({ dir, upstream, fsync: true, name, configYaml });
  const body = rudderBatch(20);
  try {
    const slow = slowClient(gw.url, options.attack);
    // Let the slow client take what it can.
    await new Promise((r) => setTimeout(r, 2_000));
    const heldAtStart = slow.held();
    // Held: open for more than a second.
    const results: Promise<{ ok: boolean; ms: number }>[] = [];
    const total = options.seconds * options.rate;
    for (let i = 0; i < total; i++) {
      results.push(post(gw.url, body));
      await new Promise((r) => setTimeout(r, 1_000 / options.rate));
    }
    const done = await Promise.all(results);
    const heldAtEnd = slow.held();
    slow.stop();
    const ok = done.filter((d) => d.ok);
    return [name, heldAtStart, heldAtEnd, `${((100 * ok.length) / done.length).toFixed(1)} %`, percentile(ok.map((d) => d.ms), 50).toFixed(1), percentile(ok.map((d) => d.ms), 99).toFixed(1)];
  } finally {
    await gw.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const out = (s: string) => process.stdout.write(s);
  out(`telegate connection fairness — node ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}\n`);
  out(`slow client: ${options.attack} connections trickling a byte every 5 s; instance: ${options.rate} batches/s for ${options.seconds} s, fresh connection each\n\n`);
  const vendor = await startStandIn();
  try {
    const rows = [
      await measure('no slow client', 'limits: { connections: 1024 }\n', vendor.url, { ...options, attack: 0 }),
      await measure('defaults', 'limits: { connections: 1024 }\n', vendor.url, options),
      await measure('caps off', 'limits: { connections: 1024, connections_per_client: 1024, body_timeout_ms: 120000 }\n', vendor.url, options),
    ];
    out(table(['telegate', 'slow conns held at 2 s', 'held at end', 'instance 2xx', 'p50 ms', 'p99 ms'], rows));
    out('\n');
  } finally {
    await vendor.child.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
