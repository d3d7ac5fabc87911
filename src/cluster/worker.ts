/**
 * One worker of a gateway with `workers` > 1: the serving core on the shared egress port, writing the
 * audit chain `<replica>-w<n>`. The supervising process decides when to reload and stop; the worker only
 * answers it. Signals are ignored here (serve.ts, before anything starts), because a Ctrl-C in a terminal
 * reaches the whole process group and a worker that stopped on its own would be restarted as crashed.
 *
 * If the supervisor disappears (killed), node:cluster ends the worker at once, as a crash would: a
 * supervisor started again must not find the old workers still appending to the chains its new workers
 * open. The next start recovers each chain's end, as after any crash.
 */
import type { Registry } from 'prom-client';
import { workerReplicaId, type GatewayConfig } from '../config';
import { StartError, startCore, type GatewayCore } from '../gateway/gateway-core';
import type { SiblingEnds } from '../gateway/loop-guard';
import { isToWorker, type FromWorker } from './messages';

/**
 * How long a starting worker waits for its chain's lock while the holder is an orphan: a worker of a
 * supervisor that was killed and started again at once, which exits as soon as its event loop sees the
 * channel closed (a worker judging a large body sees it later). A worker that crashed holds nothing (the
 * kernel freed its lock), and a live gateway's worker is refused at once, naming it.
 */
const ORPHAN_WAIT_MS = 30_000;

/** The environment variable that tells a forked process which worker it is (set by the supervisor only). */
export const WORKER_ENV = 'TELEGATE_CLUSTER_WORKER';

function send(message: FromWorker): void {
  // The channel may already be closed when the supervisor died; there is no one left to tell.
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
}

/** Runs until told to stop; resolves with the exit code: 0 clean, 1 audit not closed, 2 no start. */
export async function runWorker(config: GatewayConfig, worker: number, env: NodeJS.ProcessEnv): Promise<number> {
  // Listening from the first moment: a stop that arrives while the core starts is carried out once it has.
  let core: GatewayCore | undefined;
  let stopAsked: number | undefined;
  let registry: Registry | undefined;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => { finish = resolve; });
  let stopping = false;
  const stop = (graceMs: number): void => {
    if (!core) { stopAsked = graceMs; return; }
    if (stopping) return;
    stopping = true;
    const running = core;
    running.close(graceMs).then(() => finish(0), (error: unknown) => {
      running.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'worker stopped; its audit chain could not be closed cleanly');
      finish(1);
    });
  };
  const onMessage = (message: unknown): void => {
    if (!isToWorker(message)) return;
    const answer = (reply: FromWorker): void => send(reply);
    switch (message.type) {
      case 'telegate:stop':
        stop(message.graceMs);
        return;
      case 'telegate:reload':
        if (core) void core.reload(message.trigger).then((outcome) => answer({ type: 'telegate:reloaded', id: message.id, outcome }));
        return;
      case 'telegate:readiness':
        if (core) answer({ type: 'telegate:readiness', id: message.id, report: core.readiness() });
        return;
      case 'telegate:metrics':
        if (registry) void registry.getMetricsAsJSON().then((metrics) => answer({ type: 'telegate:metrics', id: message.id, metrics }), () => undefined);
        return;
      case 'telegate:loop-answer':
        return;
    }
  };
  process.on('message', onMessage);

  try {
    core = await startCore(
      { ...config, audit: { ...config.audit, replica: workerReplicaId(config.audit.replica, worker) } },
      { env, logBindings: { worker }, loopSiblings: siblingEnds(), auditOwner: stillSupervised(), auditLock: { supervisor: process.ppid, orphanWaitMs: ORPHAN_WAIT_MS } },
    );
  } catch (error) {
    send({ type: 'telegate:start-failed', errors: error instanceof StartError ? error.errors : [error instanceof Error ? error.message : String(error)] });
    process.off('message', onMessage);
    return 2;
  }
  registry = core.metrics.registry;
  send({ type: 'telegate:opened' });
  if (stopAsked !== undefined) stop(stopAsked);
  else send({ type: 'telegate:started', url: core.url, urls: core.urls });
  const code = await finished;
  process.off('message', onMessage);
  return code;
}

/**
 * Whether the supervisor that forked this worker is still alive. node:cluster ends an orphaned worker
 * when its event loop sees the channel close, which a worker busy judging a large body sees only seconds
 * later; a supervisor started again meanwhile may already be recovering this worker's chain. So every
 * append asks the kernel (signal 0 to the supervisor's pid, a system call of about a microsecond; Node's
 * process.ppid is read once at start and never changes), and an orphan writes nothing more.
 */
function stillSupervised(): () => boolean {
  const supervisor = process.ppid;
  return () => {
    try {
      process.kill(supervisor, 0);
      return true;
    } catch {
      return false;
    }
  };
}

/** How long a worker waits for the supervisor to say whether a connection is a sibling's. */
const LOOP_ANSWER_MS = 1_000;

/**
 * The siblings' upstream ends, through the supervisor. Best effort: unanswered in time (a supervisor
 * too busy, or gone), a connection counts as not a sibling's, and the answer holds for the connection.
 */
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

