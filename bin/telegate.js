#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
require('../dist/src/cli/main.js').main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`telegate: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);
