/**
 * The supervising process of a gateway with `workers` > 1 (node:cluster). Node runs JavaScript on one
 * core per process, and judging a batch (parse, policy, serialize, hash) is CPU work, so one process
 * cannot use a machine's other cores. The supervisor forks the workers, which share the egress port and
 * each write an audit chain of their own; it keeps what must exist once: the admin port (readiness and
 * metrics over the workers, reload fanned out to all of them), the console, the policy folder watcher
 * and the signals. A worker that dies is started again, with a growing pause if it keeps dying.
 *
 * It checks what it can before forking (hash key, policy set, the admin port), so a bad start fails once,
 * with the same messages as a single process, rather than once per worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { isLoopbackHost, type GatewayConfig } from '../config';
import { createAdminApp, type ReadinessReport, type WorkerReadiness } from '../gateway/admin-app';
import { DEFAULT_GRACE_MS, StartError, hostForUrl, listen, runtimeOptions, type ReloadOutcome } from '../gateway/gateway-core';
import { createLogger } from '../gateway/logger';
import { PolicyRuntime } from '../gateway/policy-runtime';
import { watchPolicies } from '../gateway/policy-watcher';
import { loadHashKey } from '../policy';
import { loadSigningKey } from '../audit/tlog/signing-key';
import { isFromWorker, type FromWorker, type Question, type ToWorker } from './messages';
import { WORKER_ENV } from './worker';

export interface SupervisorOptions {
  env?: NodeJS.ProcessEnv;
  /** Debounce of the policy folder watcher. */
  watchDebounceMs?: number;
}

export interface Supervisor {
  /** The first listener's URL. */
  url: string;
  /** Every listener's URL, in the order of `listen` (every worker serves them all). */
  urls: string[];
  adminUrl: string;
  reload(trigger: string): Promise<ReloadOutcome>;
  /** Stops every worker as on SIGTERM (each finishes its requests and closes its chain), then the admin port. */
  close(graceMs?: number): Promise<void>;
}

/** How long a worker may take to answer a readiness or metrics question, or a reload. */
const ANSWER_MS = 2_000;
const RELOAD_ANSWER_MS = 30_000;
/** Beyond the grace period, how long a stopping worker gets to close its chain before it is killed. */
const STOP_EXTRA_MS = 15_000;
/** A worker that ran this long before it died is restarted at once; one that keeps dying waits longer each time. */
const STABLE_MS = 60_000;
const FIRST_RESTART_PAUSE_MS = 500;
const MAX_RESTART_PAUSE_MS = 30_000;

interface Slot {
  index: number;
  worker: Worker | undefined;
  ready: boolean;
  startedAt: number;
  /** Consecutive short lives, for the pause before the next start. */
  failures: number;
  /** The worker that opened its audit chain in this slot (a worker that never did has nothing to close). */
  opened: Worker | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

type StartOutcome = { ok: true; url: string; urls: string[] } | { ok: false; errors: string[] };
type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

export async function startSupervisor(config: GatewayConfig, options: SupervisorOptions = {}): Promise<Supervisor> {
  const env = options.env ?? process.env;
  const logger: Logger = createLogger(config.log.level).child({ role: 'supervisor' });

  // --- what can be checked once, before any worker exists ------------------------------------------------
  // The key is created here if it must be, so the workers all find the same one.
  await loadHashKey({ env, keyFile: config.hash.key_file, dataDir: config.data_dir, warn: (m) => logger.warn(m) })
    .catch((error: unknown) => { throw new StartError([error instanceof Error ? error.message : String(error)]); });
  // A bad checkpoint key fails the start once, here, rather than once per worker; each worker signs its own chain.
  const checkpointKey = config.audit.checkpoint.key_file;
  if (checkpointKey !== null) {
    await loadSigningKey(checkpointKey, config.audit.checkpoint.origin)
      .catch((error: unknown) => { throw new StartError([error instanceof Error ? error.message : String(error)]); });
  }
  // The supervisor's own copy of the policy set: the console's matrix, and the same errors a single process gives.
  const runtime = new PolicyRuntime(runtimeOptions(config));
  const first = await runtime.load();
  if (!first.ok) throw new StartError(first.errors);

  // --- state of the workers ------------------------------------------------------------------------------
  const own = new Registry();
  const restarts = new Counter({ name: 'telegate_worker_restarts_total', help: 'Workers started again after they exited unasked', registers: [own] });
  new Gauge({ name: 'telegate_workers', help: 'Worker processes configured (workers)', registers: [own] }).set(config.workers);
  const liveWorkers = new Gauge({ name: 'telegate_workers_running', help: 'Worker processes started and serving', registers: [own] });

  let stopping = false;
  let stopGraceMs = DEFAULT_GRACE_MS;
  /** Until every worker has started once, an exit fails the start instead of being restarted. */
  let supervising = false;
  let nextId = 1;
  const waiting = new Map<number, { worker: Worker; answer: (message: FromWorker | undefined) => void }>();
  const slots: Slot[] = Array.from({ length: config.workers }, (_, i) => ({ index: i + 1, worker: undefined, ready: false, startedAt: 0, failures: 0, restartTimer: undefined, opened: undefined }));
  const countLive = (): void => { liveWorkers.set(slots.filter((s) => s.ready).length); };
  /** Every worker's open upstream ends (the loop guard across workers), with the worker that opened each. */
  const loopEnds = new Map<string, Worker>();
  let lastReload: ReadinessReport['last_reload'] = null;

  const ask = (worker: Worker, message: Question, timeoutMs: number): Promise<FromWorker | undefined> => {
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiting.delete(id); resolve(undefined); }, timeoutMs);
      waiting.set(id, { worker, answer: (reply) => { clearTimeout(timer); waiting.delete(id); resolve(reply); } });
      if (!worker.isConnected()) return waiting.get(id)?.answer(undefined);
      worker.send({ ...message, id } satisfies ToWorker, undefined, (error) => { if (error) waiting.get(id)?.answer(undefined); });
    });
  };

  /** What each serving worker says of itself; a worker starting, stopping or silent has no report. */
  const reports = (): Promise<{ slot: Slot; report: ReadinessReport | undefined }[]> => Promise.all(slots.map(async (slot) => {
    const worker = slot.worker;
    const reply = worker && slot.ready ? await ask(worker, { type: 'telegate:readiness' }, ANSWER_MS) : undefined;
    return { slot, report: reply?.type === 'telegate:readiness' ? reply.report : undefined };
  }));
  const policySignature = (report: ReadinessReport): string => report.policies.map((p) => `${p.vendor}=${p.digest}@${p.level}`).join(',');

  const readiness = async (): Promise<ReadinessReport> => {
    const all = await reports();
    const workers: WorkerReadiness[] = all.map(({ slot, report }) => ({
      worker: slot.index, pid: slot.worker?.process.pid ?? null, ready: report?.ready ?? false, audit_writable: report?.audit.writable ?? false,
    }));
    const answered = all.flatMap((r) => (r.report ? [r.report] : []));
    const head = answered[0];
    // Workers judging by different policy sets (a reload that reached only some) are not ready.
    const sets = new Set(answered.map(policySignature));
    return {
      ready: workers.every((w) => w.ready) && sets.size === 1,
      audit: { writable: workers.every((w) => w.audit_writable) },
      policies: head?.policies ?? [],
      loaded_at: head?.loaded_at ?? null,
      last_reload: lastReload,
      workers,
    };
  };

  // --- reload over every worker ----------------------------------------------------------------------------
  const fanOut = async (trigger: string): Promise<ReloadOutcome[]> => Promise.all(slots.map(async (slot): Promise<ReloadOutcome> => {
    // A worker being started loads the folder as it is then; reconcile() catches one that read it too early.
    if (!slot.worker || !slot.ready) return { ok: true };
    const reply = await ask(slot.worker, { type: 'telegate:reload', trigger }, RELOAD_ANSWER_MS);
    return reply?.type === 'telegate:reloaded' ? reply.outcome : { ok: false, errors: [`worker ${slot.index} did not answer the reload`] };
  }));

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (trigger: string): Promise<ReloadOutcome> => {
    const run = async (): Promise<ReloadOutcome> => {
      const stoppingNow: ReloadOutcome = { ok: false, errors: ['telegate is stopping'] };
      if (stopping) return stoppingNow;
      const refusedWith = (errors: string[]): ReloadOutcome => {
        lastReload = { ok: false, at: new Date().toISOString(), errors };
        logger.error({ trigger, errors }, 'policy reload refused; the running policy set stays');
        return { ok: false, errors };
      };
      // No worker serving (all being started again): nobody would check the set, so the supervisor's own
      // copy does; a set it refuses is refused, not reported as taken.
      if (!slots.some((s) => s.worker && s.ready)) {
        const own = await runtime.load();
        if (stopping) return stoppingNow;
        if (!own.ok) return refusedWith(own.errors);
        lastReload = { ok: true, at: new Date().toISOString() };
        logger.info({ trigger }, 'policy set checked by the supervisor; no worker is serving, each loads it as it starts');
        return { ok: true };
      }
      let results = await fanOut(trigger);
      // Some took the set and some refused it: the folder changed while they read it. Once more, all together.
      if (results.some((r) => r.ok) && results.some((r) => !r.ok)) results = await fanOut(`${trigger} (again: the workers disagreed)`);
      // Stopped meanwhile: a worker that exited before it answered is not a refusal.
      if (stopping) return stoppingNow;
      const refused = results.find((r) => !r.ok);
      if (refused) return refusedWith(refused.errors ?? []);
      const own = await runtime.load();
      if (!own.ok) logger.warn({ errors: own.errors }, 'the workers took the policy set but the supervisor\'s copy (the console\'s matrix) did not load: the folder changed meanwhile');
      lastReload = { ok: true, at: new Date().toISOString() };
      logger.info({ trigger }, 'policy set reloaded by every worker');
      return { ok: true };
    };
    const next = reloading.then(run, run);
    reloading = next.catch(() => undefined);
    return next;
  };

  /** Workers that judge by different policy sets (one restarted or started while the folder changed): reload them all. */
  const reconcile = async (why: string): Promise<void> => {
    const sets = new Set((await reports()).flatMap((r) => (r.report ? [policySignature(r.report)] : [])));
    if (sets.size > 1 && !stopping) await reload(`${why}: the workers judged by different policy sets`);
  };

  // --- the admin port, before any worker: a port that is taken fails the start with nothing written --------
  const metrics = async (): Promise<string> => {
    // Only serving workers are asked, each with a time limit: one starting or dying leaves its share out
    // instead of failing the scrape.
    const replies = await Promise.all(slots.map((slot) => (slot.worker && slot.ready ? ask(slot.worker, { type: 'telegate:metrics' }, ANSWER_MS) : undefined)));
    const sets: WorkerMetrics[] = replies.flatMap((r) => (r?.type === 'telegate:metrics' ? [r.metrics] : []));
    const summed = sets.length > 0 ? await AggregatorRegistry.aggregate(sets).metrics() : '';
    return `${summed}\n${await own.metrics()}`;
  };
  const adminApp = createAdminApp({
    metrics: { contentType: own.contentType, metrics },
    token: config.admin.token,
    loopbackOnly: isLoopbackHost(config.admin.host),
    reload: () => reload('admin'),
    console: { auditDir: config.audit.dir, policySet: () => (runtime.loaded ? runtime.snapshot.policySet : undefined) },
    readiness,
  });
  const adminServer = createHttpServer(adminApp as unknown as (req: IncomingMessage, res: ServerResponse) => void);
  try {
    await listen(adminServer, config.admin.port, config.admin.host);
  } catch (error) {
    adminServer.close();
    runtime.close();
    throw new StartError([`cannot listen: ${error instanceof Error ? error.message : String(error)}`]);
  }

  // --- workers ---------------------------------------------------------------------------------------------
  const scheduleRestart = (slot: Slot): void => {
    if (stopping || slot.worker || slot.restartTimer) return;
    slot.failures = Date.now() - slot.startedAt >= STABLE_MS ? 0 : slot.failures + 1;
    const pause = slot.failures === 0 ? 0 : Math.min(MAX_RESTART_PAUSE_MS, FIRST_RESTART_PAUSE_MS * 2 ** (slot.failures - 1));
    logger.error({ worker: slot.index, restart_in_ms: pause }, 'worker exited unasked; starting it again');
    restarts.inc();
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (stopping) return;
      void startSlot(slot).then((outcome) => {
        // Stopped while it started: nothing went wrong.
        if (stopping) return;
        if (!outcome.ok) logger.error({ worker: slot.index, errors: outcome.errors }, 'worker did not start again');
        else void reconcile(`worker ${slot.index} started again`);
      });
    }, pause);
  };

  const startSlot = (slot: Slot): Promise<StartOutcome> => new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: StartOutcome): void => { if (!settled) { settled = true; resolve(outcome); } };
    // Workers need no admin token: only the supervisor serves the admin port.
    const worker = cluster.fork({ [WORKER_ENV]: String(slot.index), TELEGATE_ADMIN_TOKEN: undefined });
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.on('message', (message: unknown) => {
      if (!isFromWorker(message)) return;
      switch (message.type) {
        case 'telegate:opened':
          slot.opened = worker;
          return;
        case 'telegate:started':
          if (stopping) {
            // A stop sent while it was still loading may have come before it listened: say it again.
            worker.send({ type: 'telegate:stop', graceMs: stopGraceMs } satisfies ToWorker, undefined, () => undefined);
          } else {
            slot.ready = true;
            countLive();
          }
          settle({ ok: true, url: message.url, urls: message.urls });
          return;
        case 'telegate:start-failed':
          settle({ ok: false, errors: message.errors });
          return;
        case 'telegate:loop-end':
          if (message.open) loopEnds.set(message.end, worker);
          else if (loopEnds.get(message.end) === worker) loopEnds.delete(message.end);
          return;
        case 'telegate:loop-ask':
          // Answered after the other workers' messages that arrived in the same turn: the asker's peer
          // announced its end before it sent the request, so that announcement is here by now.
          setImmediate(() => {
            if (worker.isConnected()) worker.send({ type: 'telegate:loop-answer', id: message.id, known: loopEnds.has(message.end) } satisfies ToWorker, undefined, () => undefined);
          });
          return;
        default:
          waiting.get(message.id)?.answer(message);
      }
    });
    worker.on('exit', (code, signal) => {
      for (const w of [...waiting.values()]) if (w.worker === worker) w.answer(undefined);
      for (const [end, owner] of [...loopEnds]) if (owner === worker) loopEnds.delete(end);
      if (slot.worker === worker) slot.worker = undefined;
      slot.ready = false;
      countLive();
      settle({ ok: false, errors: [`worker ${slot.index} exited (${signal ?? `code ${String(code)}`}) before it was serving`] });
      if (stopping) return;
      logger.error({ worker: slot.index, code, signal }, 'worker exited');
      if (supervising) scheduleRestart(slot);
    });
  });

  const stopWorkers = async (graceMs: number): Promise<number[]> => {
    stopping = true;
    stopGraceMs = graceMs;
    for (const slot of slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    const failed: number[] = [];
    await Promise.all(slots.map(async (slot) => {
      const worker = slot.worker;
      if (!worker) return;
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      if (worker.isConnected()) worker.send({ type: 'telegate:stop', graceMs } satisfies ToWorker, undefined, () => undefined);
      const killer = setTimeout(() => {
        logger.error({ worker: slot.index }, 'worker did not stop in time; killing it (its chain ends without a stop record)');
        worker.process.kill('SIGKILL');
      }, graceMs + STOP_EXTRA_MS);
      const code = await exited;
      clearTimeout(killer);
      // A worker stopped (or killed by a signal to the process group) before it opened its chain left nothing unclosed.
      if (code !== 0 && slot.opened === worker) failed.push(slot.index);
    }));
    return failed.sort((a, b) => a - b);
  };

  const outcomes = await Promise.all(slots.map((slot) => startSlot(slot)));
  const failedStart = outcomes.find((o): o is Extract<StartOutcome, { ok: false }> => !o.ok);
  if (failedStart) {
    await stopWorkers(0);
    runtime.close();
    await new Promise<void>((resolve) => adminServer.close(() => resolve()));
    throw new StartError(failedStart.errors);
  }
  const { url, urls } = outcomes[0] as Extract<StartOutcome, { ok: true }>;
  supervising = true;
  // A worker that died after it had started, while the others were still starting, is started again now.
  for (const slot of slots) if (!slot.worker) scheduleRestart(slot);

  const watcher = await watchPolicies(config.policies, options.watchDebounceMs ?? 300, () => { void reload('policy folder changed'); }, logger);
  // The folder may have changed while the workers started, before it was watched.
  await reconcile('start');
  const adminUrl = `http://${hostForUrl(adminServer.address() as AddressInfo)}`;
  logger.info({ url, urls, admin: adminUrl, workers: config.workers }, 'telegate listening');

  let closing: Promise<void> | undefined;
  return {
    url, urls, adminUrl, reload,
    close(graceMs = DEFAULT_GRACE_MS) {
      closing ??= (async () => {
        watcher?.close();
        // Not behind a reload in progress: each worker finishes its own reload before it closes.
        const failed = await stopWorkers(graceMs);
        runtime.close();
        const adminStopped = new Promise<void>((resolve) => adminServer.close(() => resolve()));
        adminServer.closeAllConnections();
        await adminStopped;
        if (failed.length > 0) {
          const message = `worker(s) ${failed.join(', ')} did not close their audit chains cleanly`;
          logger.error(message);
          throw new Error(message);
        }
        logger.info('telegate stopped; every worker\'s audit chain flushed');
      })();
      return closing;
    },
  };
}
