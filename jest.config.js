'use strict';
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // e2e suites start real servers and child processes; two cores, so keep workers bounded.
  maxWorkers: 2,
  testTimeout: 30000,
};
