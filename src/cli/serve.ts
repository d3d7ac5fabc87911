/**
 * `telegate serve [--config FILE]`: load the configuration (exit 2 naming the bad key), start the
 * gateway (exit 2 on a bad policy set, key or audit folder), then run until SIGTERM or SIGINT, when
 * requests in flight finish and the audit log is flushed and closed (exit 0; 1 if the log could not be
 * closed cleanly). SIGHUP reloads policies.
 *
 * With `workers` > 1 this process supervises (src/cluster/supervisor.ts) and the same command, forked
 * by node:cluster with TELEGATE_CLUSTER_WORKER set, runs each worker.
 */
import cluster from 'node:cluster';
import { startSupervisor } from '../cluster/supervisor';
import { WORKER_ENV, runWorker } from '../cluster/worker';
import { loadConfig, type GatewayConfig } from '../config';
import { StartError, startGateway, type Gateway } from '../gateway/start';
import { validateSetup } from './config-validate';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface ServeOptions { config?: string }

export interface ServeSignals {
  on(signal: NodeJS.Signals, handler: () => void): void;
  off(signal: NodeJS.Signals, handler: () => void): void;
}

/** What serve drives once started: one gateway process, or the supervisor of several. */
type Running = Pick<Gateway, 'reload' | 'close'>;

function start(config: GatewayConfig, env: NodeJS.ProcessEnv): Promise<Running> {
  return config.workers > 1 ? startSupervisor(config, { env }) : startGateway(config, { env });
}

export async function runServe(options: ServeOptions, io: CliIO, env: NodeJS.ProcessEnv = process.env, signals: ServeSignals = process): Promise<number> {
  const worker = env[WORKER_ENV];
  if (cluster.isWorker && worker !== undefined) return serveAsWorker(options, io, env, Number(worker));
  // Signal handlers first, for the whole life of the command: a SIGHUP's default action is to terminate,
  // and logrotate or a service manager may send one while the gateway starts or drains. While starting,
  // a stop or reload request is remembered and carried out once running; while stopping, repeated
  // signals change nothing.
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let gateway: Running | undefined;
  let stopRequested = false;
  let reloadRequested = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => { finish = resolve; });

  const onHup = (): void => {
    // During start the policies being loaded may predate the signal: reload once running.
    if (phase === 'starting') reloadRequested = true;
    else if (phase === 'running' && gateway) void gateway.reload('SIGHUP');
  };
  const onStop = (): void => {
    if (phase === 'starting') { stopRequested = true; return; }
    if (phase === 'stopping' || !gateway) return;
    phase = 'stopping';
    gateway.close().then(() => finish(EXIT_OK), (error: unknown) => {
      // The process must still end, and say that the log's end may be missing: audit verify tells how much.
      io.stderr(`telegate serve: stopped, but the audit log could not be closed cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
      finish(EXIT_CHECK_FAILED);
    });
  };
  signals.on('SIGHUP', onHup);
  signals.on('SIGTERM', onStop);
  signals.on('SIGINT', onStop);
  const detach = (): void => {
    signals.off('SIGHUP', onHup);
    signals.off('SIGTERM', onStop);
    signals.off('SIGINT', onStop);
  };

  try {
    const loaded = await loadConfig({ env, ...(options.config === undefined ? {} : { file: options.config }) });
    if (!loaded.ok) {
      // Everything at once, the policies too, as `config validate` finds it: not one round per kind of problem.
      const { errors } = await validateSetup(options, env);
      io.stderr(`telegate serve: bad configuration\n${(errors.length > 0 ? errors : loaded.errors).map((e) => `  ${e}\n`).join('')}`);
      return EXIT_USAGE;
    }
    try {
      gateway = await start(loaded.value, env);
    } catch (error) {
      if (!(error instanceof StartError)) throw error;
      io.stderr(`telegate serve: cannot start\n${error.errors.map((e) => `  ${e}\n`).join('')}`);
      return EXIT_USAGE;
    }
    phase = 'running';
    if (stopRequested) onStop();
    else if (reloadRequested) onHup();
    return await finished;
  } finally {
    detach();
  }
}

/** A worker forked by the supervisor: same configuration, the supervisor's orders instead of signals. */
async function serveAsWorker(options: ServeOptions, io: CliIO, env: NodeJS.ProcessEnv, worker: number): Promise<number> {
  // The supervisor decides when to stop and reload; a signal to the whole process group (a Ctrl-C) must
  // not stop a worker on its own, not even while it starts.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  const loaded = await loadConfig({ env, ...(options.config === undefined ? {} : { file: options.config }) });
  if (!loaded.ok) {
    io.stderr(`telegate serve (worker ${worker}): bad configuration\n${loaded.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  const code = await runWorker(loaded.value, worker, env);
  // The IPC channel would keep the process alive after its servers closed. Through the cluster worker,
  // not process.disconnect(): node:cluster answers an unasked disconnect with process.exit(0), which
  // would hide a chain that could not be closed (exit code 1).
  process.exitCode = code;
  cluster.worker?.disconnect();
  return code;
}
