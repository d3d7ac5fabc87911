/**
 * A chain as a Merkle tree's leaves (SPEC §6.1): leaf i is record line i of the chain, counted across
 * its files in chain order (file names: day, then rotation index), each line without its newline. A last
 * line with no newline is a write that did not finish (never acknowledged, cut by the writer's recovery)
 * and is no leaf.
 */
import type { AuditChain, ChainFile } from '../file-naming';
import { readFileLines, type ChainLine } from '../reader';
import { DEFAULT_CHAIN } from './checkpoint';
import { leafHash } from './merkle';
import { TreeScan, type ScanRequests } from './tree-scan';

/** Where to resume reading: a file of the chain and a byte offset in it (a line start). */
export interface LinePosition { file: string; offset: number }

/** The chain's whole lines from `from` on (the start of the chain by default), oldest first. */
export async function* chainLines(files: readonly ChainFile[], from?: LinePosition): AsyncGenerator<ChainLine> {
  let started = from === undefined;
  for (const file of files) {
    if (!started) {
      if (file.name !== from!.file) continue;
      started = true;
      yield* wholeLines(readFileLines(file, { start: from!.offset }));
      continue;
    }
    yield* wholeLines(readFileLines(file));
  }
  if (!started) throw new Error(`${from!.file} is not a file of this chain`);
}

async function* wholeLines(lines: AsyncGenerator<ChainLine>): AsyncGenerator<ChainLine> {
  for await (const line of lines) if (line.terminated) yield line;
}

/** The chain a checkpoint's origin names: `default` is the chain of no replica id (or, lacking one, a replica so named). */
export function chainNamed(chains: readonly AuditChain[], name: string): AuditChain | undefined {
  if (name === DEFAULT_CHAIN) return chains.find((c) => c.replica === null) ?? chains.find((c) => c.replica === DEFAULT_CHAIN);
  return chains.find((c) => c.replica === name);
}

/**
 * Reads the chain's leaves once, as far as `requests` need, answering them (roots at sizes, proofs).
 * `leaves` is how many the chain holds when it has fewer than needed, else at least what was needed.
 */
export async function scanChain(files: readonly ChainFile[], requests: ScanRequests): Promise<{ scan: TreeScan; leaves: number }> {
  const scan = new TreeScan(requests);
  const needed = TreeScan.needs(requests);
  if (needed > 0) {
    for await (const line of chainLines(files)) {
      scan.add(leafHash(line.bytes));
      if (scan.size >= needed) break;
    }
  }
  return { scan, leaves: scan.size };
}
