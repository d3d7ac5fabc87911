/**
 * `telegate audit keygen --name NAME --out FILE`: a new Ed25519 checkpoint signing key (SPEC §6.1),
 * written as PKCS#8 PEM with mode 0600 to a file that must not exist yet (an existing key is never
 * overwritten: checkpoints signed by it would no longer verify under a new one). Prints the verifier key,
 * `NAME+<key id>+<base64 key>`, on stdout: what auditors pass to `audit verify --key`. NAME is the
 * gateway's audit.checkpoint.origin.
 */
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { nodeFileOps } from '../audit/file-ops';
import { formatVerifierKey } from '../audit/tlog/signed-note';
import { generateSigningKey } from '../audit/tlog/signing-key';
import { CHECKPOINT_ORIGIN, CHECKPOINT_ORIGIN_RULE } from '../config/schema';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

const COMMAND = 'telegate audit keygen';

export async function runAuditKeygen(opts: { name: string; out: string }, io: CliIO): Promise<number> {
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
