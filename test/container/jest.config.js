'use strict';
// The container test runs only through `npm run test:container` (test/container/run.sh builds the image
// first); the main jest config matches *.test.ts and so never picks it up.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/container'],
  testMatch: ['**/*.container.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 120000,
};
