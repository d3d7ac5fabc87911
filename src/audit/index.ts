/** The audit log's entry points for the gateway and the CLI (docs/audit-log.md). */
export { openAuditWriter, type FileAuditWriter, type WriterSeams } from './writer';
export { verifyAuditDir } from './verify';
export { AuditError, type AuditErrorCode } from './errors';
export { listChains, type AuditChain, type ChainFile } from './file-naming';
export { readChainLines, readChainRecords, readFileLines, type ChainLine } from './reader';
export type * from './types';
