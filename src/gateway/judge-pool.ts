/**
 * Judge threads (piscina): a body of at least `threshold` decoded bytes is parsed, judged and serialized
 * on a worker thread, so the event loop, and with it small batches and the admin port, keeps answering
 * while a 50 MB snapshot is judged (issue 14). The thread runs the same judgeBody as the event loop.
 *
 * What a thread needs it gets by value: the body's bytes (moved, not copied), the policy file's path
 * and digest (each thread loads and compiles the file once per digest, judge-worker.ts) and, once, the
 * pseudonym key (workerData). A thread whose file no longer has the digest the request is judged by (a
 * reload raced the request) answers `undefined`, and the body is judged on the event loop instead, by
 * the policy in force when the request came: a request is never judged by another policy than its own.
 * (The body's bytes were moved to the thread, so the thread moves them back with that answer.)
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { Policy } from '../policy';
import { GatewayError, type RejectionCode } from './http-error';
import type { Judged, JudgeRequest } from './judge';

/** What a thread is asked: everything by value. */
export interface JudgeTask {
  body: Uint8Array;
  file: string;
  digest: string;
  endpoint: string;
  level: 1 | 2;
  shadow: 1 | 2 | undefined;
  limits: { depth: number; values: number };
}

/** What a thread answers: the judged body, a refusal to pass on, or `stale` (its file has another digest now). */
export type JudgeReply =
  | { kind: 'judged'; judged: Omit<Judged, 'bytes'>; bytes: Uint8Array }
  | { kind: 'refused'; status: number; code: RejectionCode; detail: string }
  | { kind: 'stale'; body: Uint8Array };

/**
 * The compiled worker: next to this file once built (dist/), else in dist/ (tests run the sources with
 * ts-jest, and a worker thread cannot load TypeScript; `npm test` builds first).
 */
function workerFile(): string {
  const beside = path.join(__dirname, 'judge-worker.js');
  if (existsSync(beside)) return beside;
  return path.resolve(__dirname, '..', '..', 'dist', 'src', 'gateway', 'judge-worker.js');
}

export class JudgePool {
  private readonly pool: Piscina<JudgeTask, JudgeReply>;

  constructor(readonly threshold: number, hashKey: Buffer, threads = Math.max(1, availableParallelism() - 1)) {
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: threads,
      // A thread keeps its compiled policies and pseudonym cache between snapshots (every 30 minutes for Coder).
      idleTimeout: 60 * 60 * 1000,
      workerData: { hashKey: new Uint8Array(hashKey) },
    });
  }

  /** The body judged on a thread; a Buffer (the body, moved back): judge it on the event loop (see above). Throws refusals. */
  async judge(body: Buffer, policy: Policy, request: JudgeRequest): Promise<Judged | Buffer> {
    // Moved, not copied: a buffer that shares its memory with others (a pooled slice) is copied first.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : Uint8Array.prototype.slice.call(body);
    const task: JudgeTask = {
      body: own, file: policy.file, digest: policy.digest, endpoint: request.endpoint.path,
      level: request.level, shadow: request.shadow, limits: request.limits,
    };
    const reply = await this.pool.run(task, { transferList: [own.buffer as ArrayBuffer] });
    switch (reply.kind) {
      case 'stale': return Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
      case 'refused': throw new GatewayError(reply.status, reply.code, reply.detail);
      case 'judged': return { ...reply.judged, bytes: Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength) };
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
