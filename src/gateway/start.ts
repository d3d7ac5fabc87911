/**
 * The gateway in one process: the serving core (gateway-core.ts) plus the admin port and the policy
 * folder watcher. With `workers` > 1 the supervising process keeps the admin port and the watcher and
 * each worker runs only the core (src/cluster).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, type GatewayConfig } from '../config';
import { createAdminApp } from './admin-app';
import { StartError, hostForUrl, listen, startCore, type CoreOptions, type GatewayCore, type ReloadOutcome } from './gateway-core';
import type { GatewayMetrics } from './metrics';
import { watchPolicies } from './policy-watcher';
import type { FileAuditWriter } from '../audit';

export { StartError } from './gateway-core';

export interface StartOptions extends CoreOptions {
  /** Debounce of the policy folder watcher; tests shorten it. */
  watchDebounceMs?: number;
}

export interface Gateway {
  /** The first listener's URL, e.g. http://127.0.0.1:8080 (https when it has tls). */
  url: string;
  /** Every listener's URL, in the order of `listen`. */
  urls: string[];
  adminUrl: string;
  metrics: GatewayMetrics;
  audit: FileAuditWriter;
  reload(trigger: string): Promise<ReloadOutcome>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), flushes and closes the audit log. */
  close(graceMs?: number): Promise<void>;
}

export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<Gateway> {
  const core = await startCore(config, options);
  const { logger } = core;

  const adminApp = createAdminApp({
    metrics: core.metrics.registry,
    token: config.admin.token,
    loopbackOnly: isLoopbackHost(config.admin.host),
    reload: () => core.reload('admin'),
    console: { auditDir: config.audit.dir, policySet: core.policySet },
    readiness: core.readiness,
  });
  const adminServer = createHttpServer(adminApp as unknown as (req: IncomingMessage, res: ServerResponse) => void);
  try {
    await listen(adminServer, config.admin.port, config.admin.host);
  } catch (error) {
    adminServer.close();
    await core.close(0).catch(() => undefined);
    throw new StartError([`cannot listen: ${error instanceof Error ? error.message : String(error)}`]);
  }

  const watcher = await watchPolicies(config.policies, options.watchDebounceMs ?? 300, () => { void core.reload('policy folder changed'); }, logger);

  const adminUrl = `http://${hostForUrl(adminServer.address() as AddressInfo)}`;
  logger.info({ url: core.url, urls: core.urls, admin: adminUrl, vendors: core.readiness().policies }, 'telegate listening');

  let closing: Promise<void> | undefined;
  return {
    url: core.url, urls: core.urls, adminUrl, metrics: core.metrics, audit: core.audit, reload: core.reload,
    close(graceMs?: number) {
      closing ??= (async () => {
        watcher?.close();
        // The admin port stays up while the core drains, so /readyz can be watched to the end.
        let auditError: unknown;
        try {
          await core.close(graceMs);
        } catch (error) {
          auditError = error;
        }
        // Close every admin connection before waiting: a client stalled mid-request would otherwise hold
        // close() until its headers timed out, long past graceMs.
        const adminStopped = new Promise<void>((resolve) => adminServer.close(() => resolve()));
        adminServer.closeAllConnections();
        await adminStopped;
        if (auditError !== undefined) {
          logger.error({ err: auditError instanceof Error ? auditError.message : String(auditError) }, 'telegate stopped; the audit log could not be closed cleanly');
          throw auditError;
        }
        logger.info('telegate stopped; audit log flushed');
      })();
      return closing;
    },
  };
}
