/**
 * Runs the real command line in-process with captured output, and makes throw-away folders with real
 * files for it to read.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { CliIO } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/cli');
export const POLICIES = path.join(FIXTURES, 'policies');
export const FIXTURE_TESTS = path.join(POLICIES, 'tests');
export const INPUT = path.join(FIXTURE_TESTS, 'acme-report.input.json');

export interface CliRun { code: number; stdout: string; stderr: string }

export async function telegate(args: readonly string[], stdin: string | Buffer = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (text) => { stdout += text; },
    stderr: (text) => { stderr += text; },
    stdin: Readable.from([typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin]),
  };
  const code = await main(['node', 'telegate', ...args], io);
  return { code, stdout, stderr };
}

const made: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'telegate-cli-'));
  made.push(dir);
  return dir;
}

/** A temp copy of the test policy folder (policy, fixtures, payloads), for tests that edit files. */
export async function copyOfPolicies(): Promise<string> {
  const dir = await tempDir();
  await fs.cp(POLICIES, path.join(dir, 'policies'), { recursive: true });
  return path.join(dir, 'policies');
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
}

/** Sets environment variables for one test; returns the restore function. */
export function withEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}
