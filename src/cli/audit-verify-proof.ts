/**
 * `telegate audit verify-proof FILE --key VKEY [--key VKEY]…`: checks a C2SP tlog-proof (from `audit
 * prove`) against a record line given on standard input, without the log: the checkpoint must be signed
 * by a given key named after its origin prefix, and the inclusion proof must lead from
 * SHA-256(0x00 ‖ line) to its root. The line is read as given; one final newline is dropped (a record
 * line never ends in one: it ends in `}`), so `grep … | verify-proof` works too.
 *
 * Exit 0 when it verifies, 1 when it does not (the reason named), 2 for bad usage or unreadable input.
 */
import { createHash } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { MAX_NOTE_BYTES } from '../audit/tlog/checkpoint-files';
import { checkRecordProof } from '../audit/tlog/inclusion';
import { parseVerifierKey, type NoteVerifier } from '../audit/tlog/signed-note';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

const COMMAND = 'telegate audit verify-proof';
/** A proof is the checkpoint plus one hash per tree level: far below this. */
const MAX_PROOF_BYTES = MAX_NOTE_BYTES + 64 * 64;
/**
 * The leaf hash of the line on standard input, SHA-256(0x00 ‖ line), hashed as it streams in (a record
 * with a 50 MB body is never held whole); the last byte is held back, to drop it if it is a newline.
 */
async function leafOfStdin(stream: NodeJS.ReadableStream): Promise<{ leaf: Buffer; bytes: number }> {
  const hash = createHash('sha256').update(Buffer.from([0x00]));
  let held: number | undefined;
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (buf.length === 0) continue;
    if (held !== undefined) hash.update(Buffer.from([held]));
    hash.update(buf.subarray(0, -1));
    held = buf[buf.length - 1];
    bytes += buf.length;
  }
  if (held !== undefined && held !== 0x0a) hash.update(Buffer.from([held]));
  if (held === 0x0a) bytes--;
  return { leaf: hash.digest(), bytes };
}

export async function runAuditVerifyProof(file: string, opts: { key: string[] }, io: CliIO): Promise<number> {
  if (opts.key.length === 0) {
    io.stderr(`${COMMAND}: --key is required: the verifier key (name+<key id>+<base64 key>) the checkpoint must be signed by\n`);
    return EXIT_USAGE;
  }
  const keys: NoteVerifier[] = [];
  for (const vkey of opts.key) {
    const parsed = parseVerifierKey(vkey);
    if (!parsed.ok) {
      io.stderr(`${COMMAND}: --key ${JSON.stringify(vkey.slice(0, 120))}: ${parsed.message}\n`);
      return EXIT_USAGE;
    }
    keys.push(parsed.value);
  }
  let proof: string;
  try {
    if ((await stat(file)).size > MAX_PROOF_BYTES) {
      io.stderr(`${COMMAND}: ${file} is larger than ${MAX_PROOF_BYTES} bytes: not a proof\n`);
      return EXIT_USAGE;
    }
    proof = await readFile(file, 'utf8');
  } catch (error) {
    io.stderr(`${COMMAND}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return EXIT_USAGE;
  }
  const { leaf, bytes } = await leafOfStdin(io.stdin);
  if (bytes === 0) {
    io.stderr(`${COMMAND}: no record line on standard input (give the line \`audit prove --record-out\` wrote: ${COMMAND} ${file} --key … < record.jsonl)\n`);
    return EXIT_USAGE;
  }
  const checked = checkRecordProof(proof, leaf, keys);
  if (!checked.ok) {
    io.stdout(`FAILED (${checked.reason}): ${checked.message}\n`);
    io.stderr(`${COMMAND}: ${file} does not prove this record\n`);
    return EXIT_CHECK_FAILED;
  }
  io.stdout(`ok: the record is entry ${checked.index} of ${checked.origin}, in the checkpoint of size ${checked.size} signed by ${checked.key}\n`);
  return EXIT_OK;
}
