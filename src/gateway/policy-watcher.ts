/**
 * Reload on a change in the policy folder (SPEC §5), debounced: editors write in several steps
 * (truncate, write, rename), so the reload runs once the folder has been quiet for `debounceMs`.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

export async function watchPolicies(target: string, debounceMs: number, onChange: () => void, logger: Logger): Promise<FSWatcher | undefined> {
  try {
    const info = await stat(target);
    const dir = info.isDirectory() ? target : path.dirname(target);
    let timer: NodeJS.Timeout | undefined;
    const watcher = watch(dir, { persistent: false }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    watcher.on('error', (error) => logger.warn({ err: error.message }, 'policy folder watch failed; reload with SIGHUP or POST /reload'));
    // An edit just before shutdown must not reload into a closed gateway (a false "policy record not written").
    watcher.on('close', () => clearTimeout(timer));
    return watcher;
  } catch {
    logger.warn('policy folder cannot be watched; reload with SIGHUP or POST /reload');
    return undefined;
  }
}
