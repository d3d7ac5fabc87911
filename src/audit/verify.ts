/**
 * `telegate audit verify`: walks every chain in a folder, file by file and line by line, and reports the
 * first record that breaks it. What it proves: each record is as written (its hash), nothing was removed,
 * inserted or reordered between the first record and the last (seq and prev), and each egress record's
 * `body_sha256`/`bytes` describe the very body bytes it embeds. What it cannot prove on its own: that
 * records were not cut from the END of a chain; compare `lastHash` with a copy kept elsewhere for that.
 */
import { GENESIS_PREV } from './chain';
import { listChains, type AuditChain } from './file-naming';
import { readFileLines } from './reader';
import { checkRecordLine } from './record-check';
import { sniffSeq } from './record-line';
import type { VerifyReport } from './types';

type ChainReport = VerifyReport['chains'][number];
type FirstError = NonNullable<VerifyReport['firstError']>;

async function verifyChain(chain: AuditChain): Promise<ChainReport> {
  let expectedSeq = 0;
  let prev = GENESIS_PREV;
  let records = 0;
  let lastType: string | undefined;
  let lastFile: string | undefined;
  const report = (error?: FirstError): ChainReport => ({
    replica: chain.replica,
    files: chain.files.map((f) => f.path),
    records,
    lastHash: prev,
    stopped: lastType === 'stop',
    ...(error ? { error } : {}),
  });

  for (const file of chain.files) {
    let linesInFile = 0;
    for await (const line of readFileLines(file)) {
      linesInFile++;
      const at = (message: string, seq?: number): ChainReport =>
        report(seq === undefined ? { file: file.path, line: line.line, message } : { file: file.path, line: line.line, seq, message });
      if (!line.terminated) {
        return at('the last line is incomplete (no newline): a write was cut off; it was never acknowledged, and the writer truncates it (with a recovery record) when it next starts', sniffSeq(line.bytes));
      }
      if (line.bytes.length === 0) return at('empty line');
      const checked = checkRecordLine(line.bytes);
      if (!checked.ok) return at(checked.message, checked.seq);
      const { record } = checked.value;
      if (record.seq !== expectedSeq) {
        if (records === 0) return at(`the chain starts at seq ${record.seq}, not 0: its first records or files are missing`, record.seq);
        if (line.line === 1 && lastFile !== undefined) {
          return at(`${lastFile} ends at seq ${expectedSeq - 1} but this file starts at seq ${record.seq}: a file or records between them are missing`, record.seq);
        }
        return at(`expected seq ${expectedSeq} after seq ${expectedSeq - 1}: records are missing or out of order`, record.seq);
      }
      if (record.prev !== prev) {
        if (line.line === 1 && lastFile !== undefined) {
          return at(`"prev" does not link to the last record of ${lastFile}: that record was altered, or a file was replaced`, record.seq);
        }
        return at('"prev" does not match the hash of the record before it: that record was altered or replaced', record.seq);
      }
      prev = record.hash;
      expectedSeq++;
      records++;
      lastType = record.type;
    }
    if (linesInFile === 0) {
      return report({
        file: file.path,
        line: 1,
        message: 'the file is empty: its records were removed (a writer that stopped between creating it and writing its first record fills it when it next starts)',
      });
    }
    lastFile = file.name;
  }
  return report();
}

export async function verifyAuditDir(dir: string): Promise<VerifyReport> {
  const chains = await listChains(dir);
  if (chains.length === 0) {
    return { ok: false, chains: [], firstError: { file: dir, line: 0, message: 'no audit files (audit-<date>.jsonl) in this folder' } };
  }
  const reports: ChainReport[] = [];
  for (const chain of chains) reports.push(await verifyChain(chain));
  const firstError = reports.find((r) => r.error)?.error;
  return firstError ? { ok: false, chains: reports, firstError } : { ok: true, chains: reports };
}
