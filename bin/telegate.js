#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
// Node.js 24 or newer (package.json engines): older lines get no security fixes, and telegate's
// dependencies are ES modules loaded with require(), which older lines cannot do without flags.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`telegate: needs Node.js 24 or newer; this is ${process.version}. `
    + 'From a checkout, scripts/node24.sh runs a command with Node.js 24 (e.g. scripts/node24.sh npx telegate serve).\n');
  process.exit(2);
}
require('../dist/src/cli/main.js').main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`telegate: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);
