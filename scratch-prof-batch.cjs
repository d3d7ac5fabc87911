const path = require('path');
const root = process.argv[2] || '/work/wt/policy';
const { rudderBatch } = require(root + '/dist/bench/proxy/bodies.js');
(async () => {
  const body = rudderBatch(20);
  const policy = require(root + '/dist/src/policy');
  const { parseJson } = require(root + '/dist/src/json/parse.js');
  const { serializeJson } = require(root + '/dist/src/json/serialize.js');
  const loaded = await policy.loadPolicySet([path.join(root, 'policies')]);
  const vendor = loaded.value.policies.get('automatisch');
  const ep = vendor.endpoints.get('/v1/batch');
  const p = policy.createPseudonymizer(Buffer.alloc(32, 1));
  const f = () => { const parsed = parseJson(body, { maxDepth: 128 }); const r = policy.transform(ep, 1, parsed.value, p); return serializeJson(r.body); };
  for (let i = 0; i < 30000; i++) f();
})();
