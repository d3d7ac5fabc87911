/**
 * Test kit for the audit log: temp folders, sample records, and a chain check written straight from
 * docs/audit-log.md with node:crypto and string operations, independent of src/audit.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EgressFields } from '../../../src/audit/types';

export const ZEROS = '0'.repeat(64);

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'telegate-audit-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function egress(id: string, bodyText?: string): EgressFields {
  const fields: EgressFields = {
    id,
    vendor: 'coder',
    endpoint: '/snapshot',
    level: 1,
    policy: `sha256:${'ab'.repeat(32)}`,
    decision: bodyText === undefined ? 'blocked' : 'forwarded',
    client: '127.0.0.1',
    client_version: 'v2.18.0',
    dropped: { 'users[*].email': 2 },
    hashed: { 'users[*].id': 2 },
    unknown: {},
  };
  if (bodyText !== undefined) {
    fields.bodyText = bodyText;
    fields.upstream = 'https://telemetry.coder.com/snapshot';
  }
  return fields;
}

/** Audit file names in a folder, in name order (which is chain order within a day for index < 10). */
export async function auditFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('audit-') && n.endsWith('.jsonl')).sort();
}

export async function fileLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

export interface CheckedLine { line: string; record: Record<string, unknown> }

/**
 * Checks a chain given as its lines in order, by the documented rule alone:
 * hash = sha256(prev + "\n" + line-without-its-final-hash-member + "}"), prev = previous hash, seq 0, 1, 2, …
 */
export function independentCheck(lines: string[], startPrev = ZEROS, startSeq = 0): CheckedLine[] {
  let prev = startPrev;
  return lines.map((line, i) => {
    const cut = line.lastIndexOf(',"hash":"');
    expect(cut).toBeGreaterThan(0);
    const content = `${line.slice(0, cut)}}`;
    const expected = sha256(`${prev}\n${content}`);
    expect(line.slice(cut)).toBe(`,"hash":"${expected}"}`);
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record['seq']).toBe(startSeq + i);
    expect(record['prev']).toBe(prev);
    prev = expected;
    return { line, record };
  });
}

/** All lines of a folder's single chain, files in the given order. */
export async function chainLines(dir: string, files: string[]): Promise<string[]> {
  const all: string[] = [];
  for (const f of files) all.push(...(await fileLines(path.join(dir, f))));
  return all;
}
