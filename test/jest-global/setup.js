'use strict';
// A private temporary folder for the whole run, and an empty working directory inside it: every
// os.tmpdir() of the tests (and of the processes they start) lands in the run's own folder, so the
// teardown can tell exactly what a run left behind, even while other runs share /tmp; and no test can
// read or write the checkout's ./data, ./audit or ./policies by accident (npm start makes ./data/hash.key).
const { mkdtempSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = mkdtempSync(path.join(tmpdir(), 'telegate-jest-run-'));
  const tmp = path.join(root, 'tmp');
  const cwd = path.join(root, 'cwd');
  mkdirSync(tmp);
  mkdirSync(cwd);
  // Read by the workers (forked after this) and by every process they start.
  process.env.TELEGATE_TEST_RUN_ROOT = root;
  process.env.TELEGATE_TEST_CWD = cwd;
  process.env.TMPDIR = tmp;
};
