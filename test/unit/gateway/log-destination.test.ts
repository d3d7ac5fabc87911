/**
 * telegate's own log on a full disk (stdout redirected to a file that cannot grow, via prlimit): the
 * process neither crashes nor hangs on exit, and does not keep the lines it could not write. Runs the
 * compiled logger (dist/, built by `npm test`) in a child process, as the gateway runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LOGGER = path.resolve(__dirname, '../../../dist/src/gateway/logger.js');
const SCRIPT = `
const { createLogger } = require(${JSON.stringify(LOGGER)});
const logger = createLogger('info');
const before = process.memoryUsage().rss;
for (let i = 0; i < 100000; i++) logger.info({ i, pad: 'x'.repeat(200) }, 'request');
process.stderr.write(JSON.stringify({ growthMB: (process.memoryUsage().rss - before) / 1e6 }));
`;

test('100,000 log lines onto a disk with room for 20 kB: exit 0, lines dropped, memory not held', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-log-'));
  try {
    const file = path.join(dir, 'stdout.log');
    const fd = openSync(file, 'w');
    const run = spawnSync('prlimit', ['--fsize=20000', process.execPath, '-e', SCRIPT], { stdio: ['ignore', fd, 'pipe'], timeout: 20_000 });
    closeSync(fd);
    expect(run.error).toBeUndefined();
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(statSync(file).size).toBeLessThanOrEqual(20000);
    // 100,000 lines of ~300 bytes is ~30 MB: held in memory, they would show here.
    const { growthMB } = JSON.parse(run.stderr.toString('utf8')) as { growthMB: number };
    expect(growthMB).toBeLessThan(20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
