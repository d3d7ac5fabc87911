const path = require('path');
const trees = ['/tmp/base', '/work/wt/policy'];
const { generateCoderSnapshot } = require('/work/main/dist/bench/coder-snapshot-generator.js');
(async () => {
  const users = Number(process.argv[2] || 500);
  const { body } = generateCoderSnapshot(users);
  const runs = [];
  for (const root of trees) {
    const { snapshotEndpoint, telegateTransform } = require(root + '/dist/bench/transform-bench.js');
    const { createPseudonymizer } = require(root + '/dist/src/policy');
    const ep = await snapshotEndpoint(path.join(root, 'policies'));
    const p = createPseudonymizer(Buffer.alloc(32, 1));
    runs.push({ root, f: () => telegateTransform(ep, body, p), t: [] });
  }
  const floor = { root: 'floor', f: () => Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')))), t: [] };
  runs.push(floor);
  for (let i = 0; i < 3; i++) for (const r of runs) r.f();
  const n = Number(process.argv[3] || 15);
  for (let i = 0; i < n; i++) for (const r of runs) { const t = process.hrtime.bigint(); r.f(); r.t.push(Number(process.hrtime.bigint() - t) / 1e6); }
  const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  for (const r of runs) console.log(r.root.padEnd(18), med(r.t).toFixed(1), 'ms', (med(r.t) / med(floor.t)).toFixed(2), 'x floor');
})();
