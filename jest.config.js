'use strict';
// Run through `npm run jest` (package.json), which starts Node with --experimental-vm-modules: commander 15
// and http-proxy-middleware 4 are ES modules that telegate's CommonJS code `require`s. Node 24 does that
// natively; jest does it only where node:vm's SourceTextModule exists, which that flag enables (its
// ExperimentalWarning is silenced there). Only jest's own module loader needs it, not telegate.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // e2e suites start real servers and child processes; two cores, so keep workers bounded.
  maxWorkers: 2,
  testTimeout: 30000,
  // Isolation from the checkout and from other runs: a private TMPDIR and an empty working directory per
  // run; the teardown fails the run on anything a test left behind (test/jest-global/).
  globalSetup: '<rootDir>/test/jest-global/setup.js',
  globalTeardown: '<rootDir>/test/jest-global/teardown.js',
  setupFiles: ['<rootDir>/test/jest-global/worker-cwd.js'],
};
