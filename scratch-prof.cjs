const path = require('path');
const root = process.argv[2];
const { generateCoderSnapshot } = require(root + '/dist/bench/coder-snapshot-generator.js');
const { snapshotEndpoint, telegateTransform } = require(root + '/dist/bench/transform-bench.js');
const { createPseudonymizer } = require(root + '/dist/src/policy');
(async () => {
  const ep = await snapshotEndpoint(path.join(root, 'policies'));
  const { body } = generateCoderSnapshot(500);
  const p = createPseudonymizer(Buffer.alloc(32, 1));
  for (let i = 0; i < 5; i++) telegateTransform(ep, body, p);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) telegateTransform(ep, body, p);
  console.log(root, Number(process.hrtime.bigint() - t) / 20e6, 'ms');
})();
