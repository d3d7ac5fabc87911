'use strict';
// Each test file runs in the run's empty working directory (setup.js), not in the checkout.
if (process.env.TELEGATE_TEST_CWD) process.chdir(process.env.TELEGATE_TEST_CWD);
