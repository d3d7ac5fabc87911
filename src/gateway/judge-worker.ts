/**
 * A judge thread (judge-pool.ts): loads and compiles each policy file once per digest, keeps its own
 * pseudonymizer (same key, so the same pseudonyms; its cache is its own), and runs judgeBody.
 */
import { createHash } from 'node:crypto';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { createPseudonymizer, loadPolicyFile, type Policy } from '../policy';
import { GatewayError } from './http-error';
import { judgeBody } from './judge';
import type { JudgeReply, JudgeTask } from './judge-pool';

const pseudonymizer = createPseudonymizer(Buffer.from((workerData as { hashKey: Uint8Array }).hashKey));
/** By file, the last policy loaded from it: a reload brings a new digest, and the old one is dropped. */
const policies = new Map<string, Promise<Policy | undefined>>();

async function policyOf(file: string, digest: string): Promise<Policy | undefined> {
  let loading = policies.get(file);
  const known = loading === undefined ? undefined : await loading;
  if (known?.digest === digest) return known;
  loading = loadPolicyFile(file).then((r) => (r.ok ? r.value : undefined), () => undefined);
  policies.set(file, loading);
  const loaded = await loading;
  return loaded?.digest === digest ? loaded : undefined;
}

export default async function judgeTask(task: JudgeTask): Promise<JudgeReply | ReturnType<typeof move>> {
  const policy = await policyOf(task.file, task.digest);
  const endpoint = policy?.endpoints.get(task.endpoint);
  if (endpoint === undefined) return move({ [transferableSymbol]: task.body.buffer, [valueSymbol]: { kind: 'stale', body: task.body } } as never);
  try {
    const { bytes, ...judged } = judgeBody(Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength),
      { endpoint, level: task.level, shadow: task.shadow, limits: task.limits }, pseudonymizer);
    // The output's bytes are moved back, not copied (their own ArrayBuffer, or a copy of a pooled slice).
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes);
    // The record's body_sha256, here rather than on the event loop (a 49 MB body: ~25 ms).
    const reply: JudgeReply = { kind: 'judged', judged: { ...judged, sha256: createHash('sha256').update(own).digest('hex') }, bytes: own };
    return move({ [transferableSymbol]: own.buffer, [valueSymbol]: reply } as never);
  } catch (error) {
    if (error instanceof GatewayError) return { kind: 'refused', status: error.status, code: error.code, detail: error.detail };
    throw error;
  }
}
