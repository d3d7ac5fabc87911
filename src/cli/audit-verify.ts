/**
 * `telegate audit verify [DIR] [--format json] [--checkpoint FILE --key VKEY]…`: proves each chain in the
 * folder whole, or names the first bad record as `file:line: seq N: message` (exit 1). As with `policy
 * check`, the result goes to stdout and a failure summary to stderr. A folder that does not exist is a
 * usage error (exit 2), and a folder without audit files fails the check: verifying nothing must not
 * look like a pass.
 *
 * With checkpoints (SPEC §6.1) it also passes only if each one is signed by a given key and the chain's
 * first `size` records give its root, which a hash chain alone cannot show: that nothing was cut from
 * its end and that it was not rewritten whole. A checkpoint or key that cannot be read is a usage error.
 */
import { readFile, stat } from 'node:fs/promises';
import { checkCheckpoints, type CheckpointCheck, type CheckpointInput } from '../audit/tlog/checkpoint-audit';
import { MAX_NOTE_BYTES } from '../audit/tlog/checkpoint-files';
import { parseVerifierKey, type NoteVerifier } from '../audit/tlog/signed-note';
import { verifyAuditDir } from '../audit/verify';
import type { VerifyError, VerifyReport } from '../audit/types';
import { auditFolder, type AuditLocation } from './audit-folder';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface AuditVerifyOptions {
  format?: 'text' | 'json';
  /** Checkpoint note files, kept by the auditor (or a witness). */
  checkpoint?: string[];
  /** Verifier keys, `name+<key id>+<base64 key>`. */
  key?: string[];
}

const COMMAND = 'telegate audit verify';

export function formatVerifyError(e: VerifyError): string {
  return `${e.file}:${e.line}: ${e.seq === undefined ? '' : `seq ${e.seq}: `}${e.message}`;
}

function textReport(dir: string, report: VerifyReport): string {
  const lines: string[] = [];
  if (report.firstError) lines.push(formatVerifyError(report.firstError));
  for (const c of report.chains) {
    const name = c.replica === null ? 'chain (no replica id)' : `chain of replica ${c.replica}`;
    const state = c.error ? 'BROKEN' : c.stopped ? 'ok, closed' : 'ok, open (writer running, or it did not stop cleanly)';
    lines.push(`${name}: ${c.files.length} file(s), ${c.records} good record(s), last hash ${c.lastHash}: ${state}`);
  }
  const total = report.chains.reduce((n, c) => n + c.records, 0);
  if (report.ok) lines.push(`ok: ${dir}: ${report.chains.length} chain(s), ${total} record(s) verified`);
  return `${lines.join('\n')}\n`;
}

export function checkpointLine(c: CheckpointCheck): string {
  const what = c.origin === undefined ? '' : ` ${c.origin} at size ${c.size}`;
  return c.ok ? `checkpoint ${c.source}:${what}: ok: ${c.message}` : `checkpoint ${c.source}:${what}: FAILED (${c.reason}): ${c.message}`;
}

/** The keys and checkpoint files, or a usage error. */
async function readInputs(opts: AuditVerifyOptions): Promise<{ keys: NoteVerifier[]; inputs: CheckpointInput[] } | string> {
  const files = opts.checkpoint ?? [];
  const vkeys = opts.key ?? [];
  if (files.length > 0 && vkeys.length === 0) return '--checkpoint needs --key: the verifier key (name+<key id>+<base64 key>) the checkpoints must be signed by';
  if (vkeys.length > 0 && files.length === 0) return '--key needs --checkpoint: the checkpoint files to check the log against';
  const keys: NoteVerifier[] = [];
  for (const vkey of vkeys) {
    const parsed = parseVerifierKey(vkey);
    if (!parsed.ok) return `--key ${JSON.stringify(vkey.slice(0, 120))}: ${parsed.message}`;
    keys.push(parsed.value);
  }
  const inputs: CheckpointInput[] = [];
  for (const file of files) {
    try {
      const st = await stat(file);
      if (!st.isFile()) return `--checkpoint ${file}: not a file`;
      if (st.size > MAX_NOTE_BYTES) return `--checkpoint ${file}: larger than ${MAX_NOTE_BYTES} bytes, not a checkpoint`;
      inputs.push({ source: file, note: await readFile(file) });
    } catch (error) {
      return `--checkpoint ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
    }
  }
  return { keys, inputs };
}

export async function runAuditVerify(at: AuditLocation, opts: AuditVerifyOptions, io: CliIO): Promise<number> {
  const folder = await auditFolder(COMMAND, at, io);
  if (folder === undefined) return EXIT_USAGE;
  const given = await readInputs(opts);
  if (typeof given === 'string') {
    io.stderr(`${COMMAND}: ${given}\n`);
    return EXIT_USAGE;
  }
  try {
    const st = await stat(folder);
    if (!st.isDirectory()) {
      io.stderr(`${COMMAND}: ${folder} is not a folder\n`);
      return EXIT_USAGE;
    }
  } catch {
    io.stderr(`${COMMAND}: no audit folder at ${folder} (give DIR, --config, or set TELEGATE_AUDIT_DIR)\n`);
    return EXIT_USAGE;
  }
  let report: VerifyReport;
  let checkpoints: CheckpointCheck[] = [];
  try {
    report = await verifyAuditDir(folder);
    if (given.inputs.length > 0) checkpoints = await checkCheckpoints(folder, given.inputs, given.keys);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    io.stderr(`${COMMAND}: cannot read ${folder}: ${code}\n`);
    return EXIT_USAGE;
  }
  const checkpointsOk = checkpoints.every((c) => c.ok);
  if (opts.format === 'json') {
    io.stdout(`${JSON.stringify(given.inputs.length > 0 ? { ...report, ok: report.ok && checkpointsOk, checkpoints } : report, null, 2)}\n`);
  } else {
    io.stdout(textReport(folder, report) + checkpoints.map((c) => `${checkpointLine(c)}\n`).join(''));
  }
  if (report.ok && checkpointsOk) return EXIT_OK;
  if (!report.ok) io.stderr(`audit verify: ${folder}: the audit log is not whole; the first bad record is named above\n`);
  if (!checkpointsOk) {
    const failed = checkpoints.filter((c) => !c.ok);
    io.stderr(`audit verify: ${folder}: ${failed.length} of ${checkpoints.length} checkpoint(s) failed (${[...new Set(failed.map((c) => c.reason))].join(', ')}): the log does not hold what they vouched for\n`);
  }
  return EXIT_CHECK_FAILED;
}
