'use strict';
// Fails the run when a test left anything in the run's temporary folder or wrote into its working
// directory (see setup.js), naming what it found; then removes the run's folder either way.
const { readdirSync, rmSync } = require('node:fs');
const path = require('node:path');

/** Made by the tools, not by the tests: Node's compile cache, jest's own cache when it follows TMPDIR. */
const NOT_OURS = [/^node-compile-cache$/, /^jest_/];

module.exports = async function globalTeardown() {
  const root = process.env.TELEGATE_TEST_RUN_ROOT;
  if (!root) return;
  const tmp = path.join(root, 'tmp');
  const cwd = path.join(root, 'cwd');
  const leftInTmp = readdirSync(tmp).filter((name) => !NOT_OURS.some((re) => re.test(name)));
  const leftInCwd = readdirSync(cwd);
  rmSync(root, { recursive: true, force: true });
  const problems = [
    ...leftInTmp.map((name) => `left in the temporary folder: ${name}`),
    ...leftInCwd.map((name) => `written into the working directory: ${name}`),
  ];
  if (problems.length > 0) {
    throw new Error(`tests did not clean up after themselves (each test removes the folders it makes, and writes only into them):\n  ${problems.join('\n  ')}`);
  }
};
