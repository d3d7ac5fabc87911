/**
 * Streams the lines of a chain's files, oldest first, in bounded memory: a chunk at a time, holding at
 * most one line (a record with a 50 MB body is one line) plus one chunk. verify and the queries build
 * on this; neither ever loads a whole file.
 */
import { open } from 'node:fs/promises';
import type { AuditChain, ChainFile } from './file-naming';
import { parseRecordLine, type ParsedLine } from './record-line';

const NEWLINE = 0x0a;
const DEFAULT_CHUNK_BYTES = 1 << 20;

export interface ChainLine {
  file: ChainFile;
  /** 1-based line number in its file. */
  line: number;
  /** Byte offset of the line in its file. */
  offset: number;
  /** The line without its newline. */
  bytes: Buffer;
  /** false for a last line that has no newline: a write that did not finish. */
  terminated: boolean;
}

export interface ReadOptions {
  chunkBytes?: number;
  /** Byte offset to start at, the start of a line (line numbers then count from there). */
  start?: number;
}

export async function* readFileLines(file: ChainFile, options: ReadOptions = {}): AsyncGenerator<ChainLine> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const handle = await open(file.path, 'r');
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let lineNo = 0;
    let lineOffset = options.start ?? 0;
    let position = lineOffset;
    for (;;) {
      // A fresh buffer per read: yielded lines are views into it and must not be overwritten.
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        const piece = data.subarray(start, nl);
        const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece], pendingBytes + piece.length);
        pending = [];
        pendingBytes = 0;
        lineNo++;
        yield { file, line: lineNo, offset: lineOffset, bytes, terminated: true };
        lineOffset += bytes.length + 1;
        start = nl + 1;
      }
      if (start < data.length) {
        pending.push(data.subarray(start));
        pendingBytes += data.length - start;
      }
    }
    if (pendingBytes > 0) {
      yield { file, line: lineNo + 1, offset: lineOffset, bytes: Buffer.concat(pending, pendingBytes), terminated: false };
    }
  } finally {
    await handle.close();
  }
}

export async function* readChainLines(chain: AuditChain, options: Omit<ReadOptions, 'start'> = {}): AsyncGenerator<ChainLine> {
  for (const file of chain.files) yield* readFileLines(file, options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes });
}

/**
 * Records of a chain for queries: parsed without building the body (its byte range is given). This does
 * not check hashes or linkage; run verify for that.
 */
export async function* readChainRecords(chain: AuditChain, options: ReadOptions = {}): AsyncGenerator<ChainLine & { parsed: ParsedLine }> {
  for await (const line of readChainLines(chain, options)) {
    yield { ...line, parsed: parseRecordLine(line.bytes, { validateBody: false }) };
  }
}
