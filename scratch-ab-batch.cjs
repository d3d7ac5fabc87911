const path = require('path');
const trees = ['/tmp/base', '/work/wt/policy'];
const { rudderBatch } = require('/work/wt/policy/dist/bench/proxy/bodies.js');
(async () => {
  const body = rudderBatch(20);
  const auth = { authorization: `Basic ${Buffer.from('284Py4VgK2MsNYV7xlKzyrALx0v:').toString('base64')}`, 'user-agent': 'analytics-node/1.1.5', 'content-type': 'application/json' };
  const runs = [];
  for (const root of trees) {
    const policy = require(root + '/dist/src/policy');
    const { parseJson } = require(root + '/dist/src/json/parse.js');
    const { serializeJson } = require(root + '/dist/src/json/serialize.js');
    const loaded = await policy.loadPolicySet([path.join(root, 'policies')]);
    const vendor = loaded.value.policies.get('automatisch');
    const ep = vendor.endpoints.get('/v1/batch');
    const p = policy.createPseudonymizer(Buffer.alloc(32, 1));
    const judge = policy.judgeHeaders;
    runs.push({ root, f: () => {
      if (judge) judge(vendor, 1, auth);
      const parsed = parseJson(body, { maxDepth: 128 });
      const r = policy.transform(ep, 1, parsed.value, p);
      return Buffer.from(serializeJson(r.body), 'utf8');
    }, t: [] });
  }
  for (let i = 0; i < 2000; i++) for (const r of runs) r.f();
  const n = Number(process.argv[2] || 30);
  const inner = 200;
  for (let i = 0; i < n; i++) for (const r of runs) { const t = process.hrtime.bigint(); for (let j = 0; j < inner; j++) r.f(); r.t.push(Number(process.hrtime.bigint() - t) / 1e3 / inner); }
  const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  for (const r of runs) console.log(r.root.padEnd(18), med(r.t).toFixed(1), 'µs per 20-event batch (parse + headers + level-1 transform + serialize)');
  console.log('ratio', (med(runs[1].t) / med(runs[0].t)).toFixed(3));
})();
