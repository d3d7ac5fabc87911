/**
 * The command frame: usage errors exit 2 with a message naming what is wrong, help exits 0, and nothing
 * calls process.exit (every run returns its code).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { INPUT, POLICIES, telegate } from './cli-harness';

describe('telegate command line', () => {
  it('exits 2 and names an unknown command', async () => {
    const run = await telegate(['polcy', 'check']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'polcy'/);
  });

  it('exits 2 when a command group is given without a command', async () => {
    const run = await telegate(['policy']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/check/);
    expect(run.stderr).toMatch(/explain/);
  });

  it('exits 2 naming a missing required option', async () => {
    const run = await telegate(['policy', 'explain', '--endpoint', '/report', '--level', '1', '--policies', POLICIES, INPUT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--vendor/);
  });

  it('exits 2 naming a level that does not exist', async () => {
    const run = await telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '3',
      '--policies', POLICIES, INPUT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/"3" is not a level/);
  });

  it('exits 2 on an unknown option and on an unknown --format', async () => {
    const unknownOption = await telegate(['policy', 'check', '--no-such-option']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/unknown option '--no-such-option'/);
    const badFormat = await telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '1',
      '--format', 'yaml', '--policies', POLICIES, INPUT]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/yaml/);
  });

  it('exits 2 when explain is given two payloads', async () => {
    const run = await telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '1',
      '--policies', POLICIES, INPUT, INPUT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/too many arguments/);
  });

  it('prints help on stdout and exits 0 with --help', async () => {
    const run = await telegate(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/serve/);
    expect(run.stdout).toMatch(/policy/);
    expect(run.stdout).toMatch(/audit/);
  });

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    const run = await telegate(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('offers the audit queries beside verify, and refuses an audit command that does not exist', async () => {
    const help = await telegate(['audit', '--help']);
    expect(help.code).toBe(0);
    for (const command of ['verify', 'search', 'show', 'drift', 'stats']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const run = await telegate(['audit', 'grep']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'grep'/);
  });
});
