/**
 * One worker of a gateway with `workers` > 1: the serving core on the shared egress port, writing the
 * audit chain `<replica>-w<n>`. The supervising process decides when to reload and stop; the worker only
 * answers it. Signals are ignored here, because a Ctrl-C in a terminal reaches the whole process group
 * and a worker that stopped on its own would be restarted as crashed. If the supervisor disappears
 * (killed), the worker closes as on SIGTERM: nobody could stop it cleanly any more.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { workerReplicaId, type GatewayConfig } from '../config';
import { DEFAULT_GRACE_MS, StartError, startCore, type GatewayCore } from '../gateway/gateway-core';
import type { SiblingEnds } from '../gateway/loop-guard';
import { isToWorker, type FromWorker } from './messages';

/** The environment variable that tells a forked process which worker it is (set by the supervisor only). */
export const WORKER_ENV = 'TELEGATE_CLUSTER_WORKER';

function send(message: FromWorker): void {
  // The channel may already be closed when the supervisor died; there is no one left to tell.
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
}

/** Runs until told to stop (or orphaned); resolves with the exit code: 0 clean, 1 audit not closed, 2 no start. */
export async function runWorker(config: GatewayConfig, worker: number, env: NodeJS.ProcessEnv): Promise<number> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  // node:cluster ends a worker at once (process.exit) when its channel to the supervisor closes unasked,
  // which would cut the audit chain short of its stop record and drop the requests in flight. Marked as
  // if the disconnect were asked for, the worker closes the way it would on SIGTERM (below).
  if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;

  let core: GatewayCore;
  try {
    core = await startCore(
      { ...config, audit: { ...config.audit, replica: workerReplicaId(config.audit.replica, worker) } },
      { env, logBindings: { worker }, loopSiblings: siblingEnds() },
    );
  } catch (error) {
    send({ type: 'telegate:start-failed', errors: error instanceof StartError ? error.errors : [error instanceof Error ? error.message : String(error)] });
    return 2;
  }
  // The supervisor's /metrics sums every worker's registry (prom-client's cluster protocol). prom-client
  // starts answering the supervisor's requests when an AggregatorRegistry is made in the worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([core.metrics.registry]);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (graceMs: number): void => {
      if (stopping) return;
      stopping = true;
      core.close(graceMs).then(() => resolve(0), (error: unknown) => {
        core.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'worker stopped; its audit chain could not be closed cleanly');
        resolve(1);
      });
    };
    process.on('message', (message: unknown) => {
      if (!isToWorker(message)) return;
      switch (message.type) {
        case 'telegate:reload':
          void core.reload(message.trigger).then((outcome) => send({ type: 'telegate:reloaded', id: message.id, outcome }));
          return;
        case 'telegate:readiness':
          send({ type: 'telegate:readiness', id: message.id, report: core.readiness() });
          return;
        case 'telegate:stop':
          stop(message.graceMs);
          return;
        case 'telegate:loop-answer':
          return;
      }
    });
    process.on('disconnect', () => {
      core.logger.error('the supervising process is gone; this worker stops');
      stop(DEFAULT_GRACE_MS);
    });
    send({ type: 'telegate:started', url: core.url });
  });
}

/** How long a worker waits for the supervisor to say whether a connection is a sibling's. */
const LOOP_ANSWER_MS = 1_000;

/** The siblings' upstream ends, through the supervisor. Unanswered (supervisor gone): not a known end. */
function siblingEnds(): SiblingEnds {
  let nextId = 1;
  const waiting = new Map<number, (known: boolean) => void>();
  process.on('message', (message: unknown) => {
    if (isToWorker(message) && message.type === 'telegate:loop-answer') waiting.get(message.id)?.(message.known);
  });
  return {
    announce: (end, open) => send({ type: 'telegate:loop-end', end, open }),
    includes: (end) => new Promise<boolean>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => answer(false), LOOP_ANSWER_MS);
      const answer = (known: boolean): void => { clearTimeout(timer); waiting.delete(id); resolve(known); };
      waiting.set(id, answer);
      send({ type: 'telegate:loop-ask', id, end });
    }),
  };
}
