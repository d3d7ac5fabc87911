/**
 * `telegate serve [--config FILE]`: load the configuration (exit 2 naming the bad key), start the
 * gateway (exit 2 on a bad policy set, key or audit folder), then run until SIGTERM or SIGINT, when
 * requests in flight finish and the audit log is flushed and closed (exit 0; 1 if the log could not be
 * closed cleanly). SIGHUP reloads policies.
 */
import { loadConfig } from '../config';
import { StartError, startGateway } from '../gateway/start';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export interface ServeOptions { config?: string }

export interface ServeSignals {
  on(signal: NodeJS.Signals, handler: () => void): void;
  off(signal: NodeJS.Signals, handler: () => void): void;
}

export async function runServe(options: ServeOptions, io: CliIO, env: NodeJS.ProcessEnv = process.env, signals: ServeSignals = process): Promise<number> {
  const loaded = await loadConfig({ env, ...(options.config === undefined ? {} : { file: options.config }) });
  if (!loaded.ok) {
    io.stderr(`telegate serve: bad configuration\n${loaded.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  let gateway;
  try {
    gateway = await startGateway(loaded.value, { env });
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    io.stderr(`telegate serve: cannot start\n${error.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  const running = gateway;

  return new Promise<number>((resolve) => {
    const onHup = (): void => { void running.reload('SIGHUP'); };
    const onStop = (): void => {
      signals.off('SIGTERM', onStop);
      signals.off('SIGINT', onStop);
      signals.off('SIGHUP', onHup);
      running.close().then(() => resolve(EXIT_OK), (error: unknown) => {
        // The process must still end, and say that the log's end may be missing: audit verify tells how much.
        io.stderr(`telegate serve: stopped, but the audit log could not be closed cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        resolve(EXIT_CHECK_FAILED);
      });
    };
    signals.on('SIGHUP', onHup);
    signals.on('SIGTERM', onStop);
    signals.on('SIGINT', onStop);
  });
}
