/**
 * `telegate policy test [PATH…]`: run the policy fixture tests (`*.test.yaml`, default `policies/tests`).
 *
 * One line per fixture and level, `ok` or `FAIL`, a diff under each failure, a summary last. Exit 1 on any
 * failure, a malformed fixture, or no fixture found at all (a CI step must not pass on nothing).
 * Policies come from --policies, else from the folder above each fixture's folder (`policies/tests/x` →
 * `policies/`), the documented layout.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatPolicyError, loadPolicySet, type LoadResult, type PolicySet } from '../policy';
import { loadFixture, runFixture } from '../policy/fixture-runner';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { renderMismatch } from './render-fixture';
import { styleFor } from './render-style';

export const DEFAULT_FIXTURE_PATHS: readonly string[] = ['policies/tests'];
const FIXTURE_SUFFIX = '.test.yaml';

export interface PolicyTestOptions { policies?: string }

type Found = { ok: true; files: string[] } | { ok: false; message: string };

function findFixtures(paths: readonly string[]): Found {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(FIXTURE_SUFFIX)) files.push(full);
    }
  };
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      return { ok: false, message: `${path}: no such file or folder` };
    }
    if (isDirectory) walk(path);
    else files.push(path);
  }
  return { ok: true, files };
}

export async function runPolicyTest(paths: readonly string[], options: PolicyTestOptions, io: CliIO): Promise<number> {
  const style = styleFor(io);
  const found = findFixtures(paths.length > 0 ? paths : DEFAULT_FIXTURE_PATHS);
  if (!found.ok) {
    io.stderr(`policy test: ${found.message}\n`);
    return EXIT_USAGE;
  }
  if (found.files.length === 0) {
    io.stdout(`policy test: no *${FIXTURE_SUFFIX} files found in ${(paths.length > 0 ? paths : DEFAULT_FIXTURE_PATHS).join(', ')}\n`);
    return EXIT_CHECK_FAILED;
  }

  // Each policy folder is loaded once, and its errors reported once.
  const policySets = new Map<string, LoadResult<PolicySet>>();
  const reportedBroken = new Set<string>();
  let passed = 0;
  let failed = 0;
  for (const file of found.files) {
    const fixture = loadFixture(file);
    if (!fixture.ok) {
      for (const error of fixture.errors) io.stdout(`${style.fail('FAIL')}  ${formatPolicyError(error)}\n`);
      failed++;
      continue;
    }
    const policyDir = options.policies ?? dirname(dirname(file));
    let policies = policySets.get(policyDir);
    if (policies === undefined) {
      policies = await loadPolicySet([policyDir]);
      policySets.set(policyDir, policies);
    }
    if (!policies.ok) {
      if (!reportedBroken.has(policyDir)) {
        reportedBroken.add(policyDir);
        io.stdout(`${style.fail('FAIL')}  the policies in ${policyDir} do not load:\n`);
        for (const error of policies.errors) io.stdout(`      ${formatPolicyError(error)}\n`);
      }
      io.stdout(`${style.fail('FAIL')}  ${file}: not run (its policies do not load)\n`);
      failed++;
      continue;
    }
    const run = runFixture(fixture.value, policies.value);
    if (!run.ok) {
      for (const error of run.errors) io.stdout(`${style.fail('FAIL')}  ${formatPolicyError(error)}\n`);
      failed++;
      continue;
    }
    for (const outcome of run.value) {
      const label = `${file}: ${fixture.value.name} [level ${outcome.level}]`;
      if (outcome.ok) {
        passed++;
        io.stdout(`${style.ok('ok')}    ${label}\n`);
        continue;
      }
      failed++;
      io.stdout(`${style.fail('FAIL')}  ${label}\n`);
      for (const mismatch of outcome.mismatches) {
        for (const line of renderMismatch(mismatch)) io.stdout(`      ${line}\n`);
      }
    }
  }
  const summary = `policy test: ${passed} passed, ${failed} failed (${found.files.length} fixture file${found.files.length === 1 ? '' : 's'})`;
  io.stdout(`${failed > 0 ? style.fail(summary) : style.ok(summary)}\n`);
  return failed > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}
