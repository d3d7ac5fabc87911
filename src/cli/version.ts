/**
 * telegate's version for `--version`, read from the package.json of the installed package. The compiled
 * CLI runs from dist/src/cli and the sources from src/cli, so the file is found by walking up rather than
 * by a fixed relative import.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'telegate';

export function telegateVersion(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no (readable) package.json here: keep walking up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
