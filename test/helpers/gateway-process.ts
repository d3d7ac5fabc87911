/**
 * telegate as production runs it: `node bin/telegate.js serve` in a child process (the compiled dist/,
 * which `npm test` builds first), so tests can SIGTERM or SIGKILL it and start it again on the same folders.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/telegate.js');

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  output: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `telegate serve` on free ports. A port found free can be taken by another test file's server
 * before the child binds it; such a start (EADDRINUSE) is retried on other ports.
 */
export interface SpawnOptions {
  /** Arguments after `serve` (e.g. `--config telegate.yaml`). */
  args?: readonly string[];
  /** Working directory (relative paths of a configuration file are read from it). */
  cwd?: string;
}

export async function spawnGateway(env: Record<string, string>, timeoutMs = 15_000, options: SpawnOptions = {}): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(env, timeoutMs, options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('EADDRINUSE')) throw error;
    }
  }
}

/** `telegate serve` in a child on free ports, its output collected. */
async function spawnServe(env: Record<string, string>, options: SpawnOptions = {}): Promise<{ child: ChildProcess; port: number; adminPort: number; output: () => string; exited: Promise<number | string> }> {
  const port = await freePort();
  const adminPort = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', ...(options.args ?? [])], {
    env: { PATH: process.env['PATH'] ?? '', TMPDIR: process.env['TMPDIR'] ?? '/tmp', TELEGATE_PORT: String(port), TELEGATE_ADMIN_PORT: String(adminPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  child.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, port, adminPort, output: () => output, exited };
}

async function spawnOnce(env: Record<string, string>, timeoutMs: number, options: SpawnOptions): Promise<GatewayProcess> {
  const { child, port, adminPort, output, exited } = await spawnServe(env, options);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`telegate exited ${child.exitCode} before it was ready:\n${output()}`);
    const ok = await fetch(`${adminUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`telegate not ready within ${timeoutMs} ms:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}`, adminUrl, output, exited };
}

/**
 * Runs `telegate serve` that is expected to refuse to start: waits for it to exit (at most `timeoutMs`,
 * then kills it) and returns its exit code and everything it printed.
 */
export async function runRefusedGateway(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | string; output: string }> {
  const { child, output, exited } = await spawnServe(env);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(killer);
  return { code, output: output() };
}
