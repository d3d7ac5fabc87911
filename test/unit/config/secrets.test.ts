/** The admin token is a secret: no error message ever shows it, wherever it was written. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfig, redactedConfig } from '../../../src/config';
import { FIXTURES, configDir, loadErrors, removeConfigDirs } from './load-fixture';

afterAll(removeConfigDirs);

const TOKEN = 'tok-e1d2c3b4a5-secret';

async function fileWith(content: string): Promise<{ cwd: string; file: string }> {
  const cwd = await configDir();
  await writeFile(path.join(cwd, 'telegate.yaml'), content);
  return { cwd, file: 'telegate.yaml' };
}

describe('the admin token never appears in an error', () => {
  test('a YAML syntax error on the line after the token', async () => {
    const errors = await loadErrors({ env: {}, cwd: FIXTURES, file: 'invalid/token-in-bad-yaml.yaml' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^invalid\/token-in-bad-yaml\.yaml:3:\d+: YAML syntax/);
    expect(errors.join('\n')).not.toContain(TOKEN);
  });

  test('a YAML syntax error on the token\'s own line', async () => {
    const errors = await loadErrors({ env: {}, ...await fileWith(`admin:\n  token: "${TOKEN}\n`) });
    expect(errors.join('\n')).not.toContain(TOKEN);
    expect(errors.join('\n')).not.toContain('e1d2c3b4a5');
  });

  test('the token where it does not belong', async () => {
    const errors = await loadErrors({ env: {}, cwd: FIXTURES, file: 'invalid/token-wrong-place.yaml' });
    expect(errors).toEqual(['invalid/token-wrong-place.yaml: listen.token: unknown key (allowed: host, port, tls)']);
  });

  test('a token of the wrong type, or a value where a mapping belongs', async () => {
    for (const content of [`admin: { token: [${TOKEN}] }\n`, `admin: ${TOKEN}\n`, `listen: { host: [${TOKEN}] }\n`, `${TOKEN}\n`]) {
      const errors = await loadErrors({ env: {}, ...await fileWith(content) });
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.join('\n')).not.toContain(TOKEN);
    }
  });

  test('a valid token beside other errors, from the file or the environment', async () => {
    const inFile = await fileWith(`admin: { token: ${TOKEN}, prot: 1 }\nlisten: { tls: { cert: missing.pem, key: missing.pem } }\n`);
    const errors = await loadErrors({ env: { TELEGATE_ADMIN_TOKEN: `${TOKEN}-env`, TELEGATE_PORT: 'x' }, ...inFile });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).not.toContain(TOKEN);
  });

  test('an empty TELEGATE_ADMIN_TOKEN is an error naming the variable', async () => {
    expect(await loadErrors({ env: { TELEGATE_ADMIN_TOKEN: '' }, cwd: FIXTURES }))
      .toEqual(['TELEGATE_ADMIN_TOKEN: is set but empty']);
  });
});

describe('redactedConfig', () => {
  test('replaces a set token and leaves the rest alone, without changing the original', () => {
    const config = defaultConfig();
    config.admin.token = TOKEN;
    const shown = redactedConfig(config);
    expect(JSON.stringify(shown)).not.toContain(TOKEN);
    expect(shown.admin).toEqual({ host: '127.0.0.1', port: 9090, token: '[redacted]' });
    expect(config.admin.token).toBe(TOKEN);
    expect({ ...shown, admin: config.admin }).toEqual(config);
  });

  test('says nothing of a token that is not set', () => {
    expect('token' in redactedConfig(defaultConfig()).admin).toBe(false);
  });
});
