/**
 * The command line as a user runs it: `node bin/telegate.js …` in a child process (the compiled dist/,
 * which `npm test` builds first), with real files, a real working directory and a real environment. The
 * environment is only what the test gives (and PATH), so nothing of the developer's shell (a
 * TELEGATE_CONFIG, a TELEGATE_HASH_KEY) changes the outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(__dirname, '../../bin/telegate.js');

export interface CliResult { code: number | null; signal: string | null; stdout: string; stderr: string }

export interface CliOptions {
  env?: Record<string, string>;
  /** Working directory (default: the test run's own, an empty folder). */
  cwd?: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
}

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', TMPDIR: process.env['TMPDIR'] ?? '/tmp', NO_COLOR: '1', ...extra };
}

export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: cliEnv(options.env),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  child.stdin!.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}
