/**
 * `telegate audit prove ID [DIR] [--checkpoint FILE] [--record-out FILE]`: a C2SP tlog-proof
 * (c2sp.org/tlog-proof@v1) on stdout that the egress record of request ID is in its chain's signed
 * checkpoint: its index, the inclusion proof, and the checkpoint (the chain's latest,
 * `<DIR>/checkpoints/<chain>`, or the one given). A third party checks it with `audit verify-proof`
 * against the record's line, which `--record-out` writes (without a newline); neither needs the log.
 *
 * Exit 1 when no egress record has that id, when the checkpoint does not cover the record yet (one is
 * written every audit.checkpoint.interval_s while records are added, and at every stop), or when the
 * chain no longer matches the checkpoint; 2 for a missing folder or an unreadable checkpoint.
 */
import { open } from 'node:fs/promises';
import { MAX_NOTE_BYTES, notePath, readSmallFile } from '../audit/tlog/checkpoint-files';
import { findEgressRecord, proveRecord } from '../audit/tlog/inclusion';
import { auditFolder, checkAuditFolder, systemErrorCode, type AuditLocation } from './audit-folder';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

const COMMAND = 'telegate audit prove';

export interface AuditProveOptions { checkpoint?: string; recordOut?: string }

export async function runAuditProve(id: string, at: AuditLocation, opts: AuditProveOptions, io: CliIO): Promise<number> {
  const folder = await auditFolder(COMMAND, at, io);
  if (folder === undefined) return EXIT_USAGE;
  const problem = await checkAuditFolder(folder);
  if (problem) {
    io.stderr(`${COMMAND}: ${problem}\n`);
    return EXIT_USAGE;
  }
  let found;
  try {
    found = await findEgressRecord(folder, id);
  } catch (error) {
    io.stderr(`${COMMAND}: cannot read ${folder}: ${systemErrorCode(error)}\n`);
    return EXIT_USAGE;
  }
  if (!found) {
    io.stderr(`${COMMAND}: no egress record with request id ${JSON.stringify(id)} in ${folder}\n`);
    return EXIT_CHECK_FAILED;
  }
  const noteFile = opts.checkpoint ?? notePath(folder, found.chainName);
  let note: Buffer | undefined;
  try {
    note = await readSmallFile(noteFile, MAX_NOTE_BYTES);
  } catch (error) {
    io.stderr(`${COMMAND}: cannot read the checkpoint ${noteFile}: ${systemErrorCode(error)}\n`);
    return EXIT_USAGE;
  }
  if (note === undefined) {
    if (opts.checkpoint !== undefined) {
      io.stderr(`${COMMAND}: no checkpoint file ${noteFile}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`${COMMAND}: chain ${found.chainName} has no signed checkpoint (${noteFile}): the gateway writes them only with audit.checkpoint.key_file set; the record (${found.file}:${found.lineInFile}) cannot be proven yet\n`);
    return EXIT_CHECK_FAILED;
  }
  const proved = await proveRecord(found, note.toString('utf8'));
  if (!proved.ok) {
    io.stderr(`${COMMAND}: ${found.file}:${found.lineInFile} (record ${found.index} of chain ${found.chainName}): ${proved.message}\n`);
    return proved.reason === 'malformed' ? EXIT_USAGE : EXIT_CHECK_FAILED;
  }
  if (opts.recordOut !== undefined) {
    try {
      const handle = await open(opts.recordOut, 'wx', 0o600);
      await handle.writeFile(found.line).finally(() => handle.close());
    } catch (error) {
      const code = systemErrorCode(error);
      io.stderr(`${COMMAND}: --record-out ${opts.recordOut}: ${code === 'EEXIST' ? 'exists; refusing to overwrite' : `cannot write: ${code}`}\n`);
      return EXIT_USAGE;
    }
  }
  io.stdout(proved.proof);
  io.stderr(`${COMMAND}: record ${found.index} of ${proved.origin} (${found.file}:${found.lineInFile}), in the checkpoint of size ${proved.size}${opts.recordOut === undefined ? '' : `; its line is in ${opts.recordOut}`}\n`);
  return EXIT_OK;
}
