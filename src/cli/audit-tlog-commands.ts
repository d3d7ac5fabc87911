/**
 * Registers `audit keygen | prove | verify-proof` (SPEC §6.1), loaded on demand like the other audit
 * commands. `audit verify`'s --checkpoint and --key are declared with verify in main.ts.
 */
import type { Command } from 'commander';
import type { runAuditKeygen as RunAuditKeygen } from './audit-keygen';
import type { runAuditProve as RunAuditProve } from './audit-prove';
import type { runAuditVerifyProof as RunAuditVerifyProof } from './audit-verify-proof';
import { configOption } from './audit-query-commands';
import type { CliIO } from './io';

type Run = (action: () => Promise<number>) => void;

/** For options given more than once: --key A --key B. */
export const repeatable = (value: string, previous: string[]): string[] => [...previous, value];

export function registerAuditTlogCommands(audit: Command, io: CliIO, run: Run): void {
  audit.command('keygen')
    .description('write a new Ed25519 checkpoint signing key (PKCS#8 PEM, mode 0600) and print its verifier key for auditors')
    .option('--name <name>', 'the key name: the gateway\'s audit.checkpoint.origin (default: the configured one, else telegate)')
    .option('--out <file>', 'where to write the private key; an existing file is never overwritten (default: the configured audit.checkpoint.key_file)')
    .addOption(configOption())
    .action((opts: { name?: string; out?: string; config?: string }) => run(async () => {
      const { runAuditKeygen } = require('./audit-keygen') as { runAuditKeygen: typeof RunAuditKeygen };
      return runAuditKeygen(opts, io);
    }));

  audit.command('prove')
    .description('print a C2SP tlog-proof that the egress record of request ID is in its chain\'s signed checkpoint; exit 1 if not found or not covered yet')
    .argument('<id>', 'request id')
    .argument('[dir]', 'audit folder (default: the configured audit.dir: --config, TELEGATE_AUDIT_DIR, else ./audit)')
    .option('--checkpoint <file>', 'prove against this checkpoint (e.g. a copy a witness or auditor kept) instead of the chain\'s latest')
    .option('--record-out <file>', 'also write the record\'s line (without newline) to this new file, for verify-proof')
    .addOption(configOption())
    .action((id: string, dir: string | undefined, opts: { checkpoint?: string; recordOut?: string; config?: string }) => run(async () => {
      const { runAuditProve } = require('./audit-prove') as { runAuditProve: typeof RunAuditProve };
      return runAuditProve(id, { dir, config: opts.config }, opts, io);
    }));

  audit.command('verify-proof')
    .description('check a tlog-proof from audit prove against the record line on standard input, without the log')
    .argument('<file>', 'the proof')
    .option('--key <vkey>', 'verifier key the checkpoint must be signed by: name+<key id>+<base64 key> (repeatable)', repeatable, [])
    .action((file: string, opts: { key: string[] }) => run(async () => {
      const { runAuditVerifyProof } = require('./audit-verify-proof') as { runAuditVerifyProof: typeof RunAuditVerifyProof };
      return runAuditVerifyProof(file, opts, io);
    }));
}
