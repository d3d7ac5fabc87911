/**
 * `telegate audit keygen --name NAME --out FILE`: a new Ed25519 checkpoint signing key (SPEC §6.1),
 * written as PKCS#8 PEM with mode 0600 to a file that must not exist yet (an existing key is never
 * overwritten: checkpoints signed by it would no longer verify under a new one). Prints the verifier key,
 * `NAME+<key id>+<base64 key>`, on stdout: what auditors pass to `audit verify --key`. NAME is the
 * gateway's audit.checkpoint.origin. Either may be left to the configuration (`--config`, SPEC §7):
 * NAME to audit.checkpoint.origin, FILE to audit.checkpoint.key_file.
 */
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { nodeFileOps } from '../audit/file-ops';
import { formatVerifierKey } from '../audit/tlog/signed-note';
import { generateSigningKey } from '../audit/tlog/signing-key';
import { CHECKPOINT_ORIGIN, CHECKPOINT_ORIGIN_RULE } from '../config/schema';
import { cliConfig, type ConfigOption } from './cli-config';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

const COMMAND = 'telegate audit keygen';

export interface AuditKeygenOptions extends ConfigOption { name?: string; out?: string }

export async function runAuditKeygen(given: AuditKeygenOptions, io: CliIO): Promise<number> {
  const opts = await withConfiguredDefaults(given, io);
  if (opts === undefined) return EXIT_USAGE;
  if (!new RegExp(CHECKPOINT_ORIGIN).test(opts.name)) {
    io.stderr(`${COMMAND}: --name ${JSON.stringify(opts.name)}: ${CHECKPOINT_ORIGIN_RULE}; it is the gateway's audit.checkpoint.origin\n`);
    return EXIT_USAGE;
  }
  const { pem, publicKey } = generateSigningKey();
  let handle;
  try {
    handle = await open(opts.out, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(code === 'EEXIST'
      ? `${COMMAND}: ${opts.out} exists; refusing to overwrite a key (checkpoints it signed would no longer verify). Choose another --out\n`
      : `${COMMAND}: cannot create ${opts.out}: ${code ?? String(error)}\n`);
    return EXIT_USAGE;
  }
  try {
    // A umask cannot widen 0600, but a default ACL could: set it outright.
    await handle.chmod(0o600);
    await handle.writeFile(pem);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(opts.out).catch(() => undefined);
    io.stderr(`${COMMAND}: cannot write ${opts.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return EXIT_USAGE;
  }
  await handle.close();
  // The new name must survive a crash too.
  await nodeFileOps.fsyncDir(path.dirname(opts.out));
  io.stdout(`${formatVerifierKey(opts.name, publicKey)}\n`);
  io.stderr(`${COMMAND}: wrote the private key to ${opts.out} (mode 0600). Configure audit.checkpoint.key_file: ${opts.out} and audit.checkpoint.origin: ${opts.name}; give auditors the verifier key above, never the file.\n`);
  return EXIT_OK;
}

/** --name and --out, each from the configuration where the command line leaves it open. */
async function withConfiguredDefaults(given: AuditKeygenOptions, io: CliIO): Promise<{ name: string; out: string } | undefined> {
  if (given.name !== undefined && given.out !== undefined && given.config === undefined) return { name: given.name, out: given.out };
  // The configured key_file is the file this command is about to write: it need not exist yet.
  const config = await cliConfig(COMMAND, given, io, process.env, { checkpointKeyToCreate: true });
  if (!config.ok) return undefined;
  const out = given.out ?? config.value.audit.checkpoint.key_file ?? undefined;
  if (out === undefined) {
    io.stderr(`${COMMAND}: give --out FILE (the configuration names no audit.checkpoint.key_file)\n`);
    return undefined;
  }
  return { name: given.name ?? config.value.audit.checkpoint.origin, out };
}
