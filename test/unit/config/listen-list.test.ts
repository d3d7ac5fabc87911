/**
 * `listen` as a list (one process, several listeners: plain HTTP and TLS side by side) beside the single
 * mapping it always was: what each form gives, where TELEGATE_PORT goes, and every mistake named by its key.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, loadErrors, loadOk } from './load-fixture';

const CERT = path.join(FIXTURES, 'tls/cert.pem');
const KEY = path.join(FIXTURES, 'tls/key.pem');
const tls = `tls: { cert: ${JSON.stringify(CERT)}, key: ${JSON.stringify(KEY)} }`;

/** Every folder fileWith made: removed after the suite (the global teardown fails a run that leaves any). */
const made: string[] = [];

afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function fileWith(text: string): Promise<{ cwd: string; file: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'telegate-listen-'));
  made.push(dir);
  await writeFile(path.join(dir, 'telegate.yaml'), text);
  return { cwd: dir, file: 'telegate.yaml' };
}

describe('what a list gives', () => {
  test('two listeners, plain and TLS, in the order written; host defaults to 0.0.0.0', async () => {
    const config = await loadOk({ env: {}, ...await fileWith(`listen:\n  - { port: 8080 }\n  - { host: 10.0.0.5, port: 8443, ${tls} }\n`) });
    expect(config.listen).toEqual([
      { host: '0.0.0.0', port: 8080 },
      { host: '10.0.0.5', port: 8443, tls: { cert: CERT, key: KEY } },
    ]);
  });

  test('a single mapping is still one listener, as before', async () => {
    const config = await loadOk({ env: {}, ...await fileWith(`listen: { port: 8443, ${tls} }\n`) });
    expect(config.listen).toEqual([{ host: '0.0.0.0', port: 8443, tls: { cert: CERT, key: KEY } }]);
  });

  test('TELEGATE_PORT sets the first plain listener, wherever it stands in the list', async () => {
    const config = await loadOk({ env: { TELEGATE_PORT: '18080' }, ...await fileWith(`listen:\n  - { port: 8443, ${tls} }\n  - { port: 8080 }\n  - { port: 8081 }\n`) });
    expect(config.listen.map((l) => l.port)).toEqual([8443, 18080, 8081]);
  });

  test('TELEGATE_PORT sets the first listener when every one has TLS (a single TLS mapping, as before)', async () => {
    const config = await loadOk({ env: { TELEGATE_PORT: '18443' }, ...await fileWith(`listen: { port: 8443, ${tls} }\n`) });
    expect(config.listen.map((l) => l.port)).toEqual([18443]);
  });

  test('the same port on two different specific addresses is allowed', async () => {
    const config = await loadOk({ env: {}, ...await fileWith('listen:\n  - { host: 10.0.0.5, port: 8080 }\n  - { host: 10.0.0.6, port: 8080 }\n') });
    expect(config.listen).toHaveLength(2);
  });
});

describe('mistakes, each naming its key', () => {
  test.each([
    ['an empty list', 'listen: []\n', ['telegate.yaml: listen: must not be an empty list (at least 1 entry)']],
    ['a string', 'listen: 8080\n', ['telegate.yaml: listen: must be a mapping or a list']],
    ['a listener without a port', 'listen:\n  - { port: 8080 }\n  - { host: 10.0.0.5 }\n', ['telegate.yaml: listen.1.port: missing']],
    ['an unknown key in a listener', 'listen:\n  - { port: 8080, prot: 1 }\n', ['telegate.yaml: listen.0.prot: unknown key (allowed: host, port, tls)']],
    ['a listener that is not a mapping', 'listen:\n  - 8080\n', ['telegate.yaml: listen.0: must be a mapping']],
    ['a port out of range in a listener', 'listen:\n  - { port: 8080 }\n  - { port: 70000 }\n', ['telegate.yaml: listen.1.port: must be at most 65535']],
    ['tls without its key in a listener', 'listen:\n  - { port: 8080 }\n  - { port: 8443, tls: { cert: c.pem } }\n', ['telegate.yaml: listen.1.tls.key: missing']],
    ['two listeners on one port', 'listen:\n  - { port: 8080 }\n  - { host: 127.0.0.1, port: 8080 }\n', ['listen.1.port: 8080 is also listen.0.port; each listener needs a port of its own']],
    ['the admin port on a listener\'s port', 'listen:\n  - { port: 8080 }\n  - { port: 9090 }\n', ['admin.port: 9090 is also listen.1.port; the admin port must be a port of its own']],
    ['two listeners on port 0 of one address with workers', 'workers: 2\nlisten:\n  - { port: 0 }\n  - { port: 0 }\n', ['listen.1.port: 0 is also listen.0.port on that address; with workers > 1 give each listener a port of its own']],
  ])('%s', async (_name, text, expected) => {
    expect(await loadErrors({ env: {}, ...await fileWith(text) })).toEqual(expected);
  });

  test('an unreadable certificate names the listener it belongs to', async () => {
    const errors = await loadErrors({ env: {}, ...await fileWith('listen:\n  - { port: 8080 }\n  - { port: 8443, tls: { cert: no-such.pem, key: no-such-key.pem } }\n') });
    expect(errors.map((e) => e.replace(/cannot read .*: /, 'cannot read FILE: '))).toEqual([
      'telegate.yaml: listen.1.tls.cert: cannot read FILE: no such file',
      'telegate.yaml: listen.1.tls.key: cannot read FILE: no such file',
    ]);
  });

  test('TELEGATE_PORT that lands on another listener\'s port is a collision too', async () => {
    const errors = await loadErrors({ env: { TELEGATE_PORT: '8443' }, ...await fileWith(`listen:\n  - { port: 8080 }\n  - { port: 8443, ${tls} }\n`) });
    expect(errors).toEqual(['listen.1.port: 8443 is also listen.0.port; each listener needs a port of its own']);
  });
});
