/**
 * `telegate serve [--config FILE]`: load the configuration (exit 2 naming the bad key), start the
 * gateway (exit 2 on a bad policy set, key or audit folder), then run until SIGTERM or SIGINT, when
 * requests in flight finish and the audit log is flushed and closed (exit 0). SIGHUP reloads policies.
 */
import { loadConfig } from '../config';
import { StartError, startGateway } from '../gateway/start';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

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
      void running.close().then(() => resolve(EXIT_OK));
    };
    signals.on('SIGHUP', onHup);
    signals.on('SIGTERM', onStop);
    signals.on('SIGINT', onStop);
  });
}
