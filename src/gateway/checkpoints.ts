/**
 * Signed checkpoints for the chain this process writes (SPEC §6.1): the signing key is loaded before
 * the chain is opened (a bad key throws SigningKeyError, which stops the start), the Checkpointer follows the audit writer,
 * each checkpoint goes to the configured witness, and the outcomes are logged and counted on /metrics.
 * Without a key there are no checkpoints, and the start says so.
 */
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { chainName } from '../audit/tlog/checkpoint';
import { Checkpointer } from '../audit/tlog/checkpointer';
import { loadSigningKey } from '../audit/tlog/signing-key';
import type { GatewayConfig } from '../config';
import type { GatewayMetrics } from './metrics';
import { witnessPoster } from './witness-client';

export async function openCheckpoints(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics, owner?: () => boolean): Promise<Checkpointer | undefined> {
  const settings = config.audit.checkpoint;
  if (settings.key_file === null) {
    logger.warn('audit.checkpoint.key_file is not set: no signed checkpoints are written, so removing the newest records or rewriting the log whole cannot be proven (docs/audit-log.md)');
    return undefined;
  }
  // A SigningKeyError names the file and what is wrong; the caller makes it a StartError.
  const signer = await loadSigningKey(settings.key_file, settings.origin, (m) => logger.warn(m));
  const registers = [metrics.registry];
  const written = new Counter({ name: 'telegate_checkpoints_total', help: 'Signed checkpoints of the audit chain, by result (written, failed)', labelNames: ['result'], registers });
  const witness = new Counter({ name: 'telegate_checkpoint_witness_total', help: 'Checkpoints posted to the witness, by result (accepted, refused: it answered non-2xx, failed: no answer)', labelNames: ['result'], registers });
  const chain = chainName(config.audit.replica);
  logger.info({ chain, origin: `${settings.origin}/${chain}`, vkey: signer.vkey, witness: settings.witness_url }, 'signed checkpoints on');
  return new Checkpointer({
    auditDir: config.audit.dir,
    chain,
    origin: settings.origin,
    signer,
    intervalMs: settings.interval_s * 1000,
    ...(owner ? { owner } : {}),
    ...(settings.witness_url === null ? {} : { publish: witnessPoster(settings.witness_url) }),
    events: {
      written: (cp) => {
        written.inc({ result: 'written' });
        logger.debug({ chain: cp.chain, size: cp.size, root: cp.root.toString('base64') }, 'checkpoint written');
      },
      failed: (error) => {
        written.inc({ result: 'failed' });
        logger.error({ chain, err: error.message }, 'checkpoint could not be written; the next interval tries again');
      },
      witness: (outcome) => {
        witness.inc({ result: outcome.accepted ? 'accepted' : outcome.status === undefined ? 'failed' : 'refused' });
        if (!outcome.accepted) logger.warn({ chain, size: outcome.size, status: outcome.status, err: outcome.error }, 'the witness did not accept the checkpoint');
      },
      warn: (message) => logger.warn({ chain }, message),
    },
  });
}
