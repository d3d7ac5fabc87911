/**
 * wrk and nginx, which the proxy bench drives. CI does not run the bench, so a fresh machine meets it
 * without them: as root with apt-get (Debian, as this project's machines are) it installs them itself;
 * otherwise it stops and says exactly what to install.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface Tools { wrk: string; nginx: string }

const PACKAGES = ['wrk', 'nginx-light'];
export const INSTALL_HINT = `apt-get update && apt-get install -y ${PACKAGES.join(' ')}`;

function find(name: string): string | undefined {
  // nginx lives in /usr/sbin, which a non-login PATH may lack.
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function findTools(log: (s: string) => void): Tools {
  let wrk = find('wrk');
  let nginx = find('nginx');
  if (wrk && nginx) return { wrk, nginx };
  const canInstall = process.getuid?.() === 0 && find('apt-get') !== undefined;
  if (!canInstall) throw new Error(`the proxy bench needs wrk and nginx; install them with: ${INSTALL_HINT}`);
  log(`proxy bench: wrk or nginx missing, installing: ${INSTALL_HINT}\n`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...PACKAGES], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  wrk = find('wrk');
  nginx = find('nginx');
  if (!wrk || !nginx) throw new Error(`wrk or nginx still missing after apt-get; install them with: ${INSTALL_HINT}`);
  return { wrk, nginx };
}
