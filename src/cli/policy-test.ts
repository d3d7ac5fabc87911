/**
 * `telegate policy test [PATH…]`: run the policy fixture tests (`*.test.yaml`; default: the `tests` folder
 * of the configured policies folder, `policies/tests`).
 *
 * Quiet by default, as `opa test`: each failure with its diff, then one closing line `N passed, N failed`.
 * `--verbose` adds an `ok` line per passing test (one test = one fixture at one level); `--filter RE` runs
 * only the fixtures whose name or file name matches; `--format json` prints one JSON object per test (the
 * closing line then goes to stderr). Exit 1 on any failure, a malformed fixture, or no fixture found at all
 * (a CI step must not pass on nothing); a filter that matches nothing is exit 1 too.
 * Policies come from --policies, else the configured folder when the fixtures are its own, else the folder
 * above each fixture's folder (`policies/tests/x` -> `policies/`), the documented layout.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatPolicyError, loadPolicySet, type LoadResult, type PolicySet } from '../policy';
import { loadFixture, runFixture, type Fixture, type LevelOutcome } from '../policy/fixture-runner';
import { configuredDefault, type ConfigOption } from './cli-config';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { renderMismatch } from './render-fixture';
import { styleFor } from './render-style';

const FIXTURE_SUFFIX = '.test.yaml';

export interface PolicyTestOptions extends ConfigOption {
  policies?: string;
  verbose?: boolean;
  /** Runs only the fixtures whose name or file name matches. */
  filter?: RegExp;
  format?: 'text' | 'json';
}

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

/** Where a run's lines go: text (failures, or everything with --verbose) or one JSON object per test. */
interface Reporter {
  broken(file: string, errors: string[]): void;
  outcome(file: string, fixture: Fixture, outcome: LevelOutcome): void;
  closing(line: string, failed: boolean): void;
}

function textReporter(io: CliIO, verbose: boolean): Reporter {
  const style = styleFor(io);
  return {
    broken: (_file, errors) => { for (const e of errors) io.stdout(`${style.fail('FAIL')}  ${e}\n`); },
    outcome: (file, fixture, outcome) => {
      const label = `${file}: ${fixture.name} [level ${outcome.level}]`;
      if (outcome.ok) {
        if (verbose) io.stdout(`${style.ok('ok')}    ${label}\n`);
        return;
      }
      io.stdout(`${style.fail('FAIL')}  ${label}\n`);
      for (const mismatch of outcome.mismatches) for (const line of renderMismatch(mismatch)) io.stdout(`      ${line}\n`);
    },
    closing: (line, failed) => io.stdout(`${failed ? style.fail(line) : style.ok(line)}\n`),
  };
}

function jsonReporter(io: CliIO): Reporter {
  const print = (value: unknown): void => io.stdout(`${JSON.stringify(value)}\n`);
  return {
    broken: (file, errors) => print({ file, name: null, vendor: null, endpoint: null, level: null, ok: false, errors }),
    outcome: (file, fixture, outcome) => print({
      file, name: fixture.name, vendor: fixture.vendor, endpoint: fixture.endpoint, level: outcome.level, ok: outcome.ok,
      ...(outcome.ok ? {} : { mismatches: outcome.mismatches.map((m) => ({ kind: m.kind, lines: renderMismatch(m) })) }),
    }),
    // stdout holds JSON only; the person watching reads the tally on stderr.
    closing: (line) => io.stderr(`${line}\n`),
  };
}

export async function runPolicyTest(paths: readonly string[], options: PolicyTestOptions, io: CliIO): Promise<number> {
  const configured = await configuredDefault('policy test', paths.length > 0 ? [...paths] : undefined, options, io,
    (c) => [join(c.policies, 'tests')]);
  if (!configured.ok) return configured.code;
  const targets = configured.value;
  // The configured folder's own fixtures are judged by the configured folder.
  const policiesFor = (file: string): string => options.policies
    ?? (paths.length === 0 && configured.config ? configured.config.policies : dirname(dirname(file)));

  const found = findFixtures(targets);
  if (!found.ok) {
    io.stderr(`policy test: ${found.message}\n`);
    return EXIT_USAGE;
  }
  if (found.files.length === 0) {
    io.stdout(`policy test: no *${FIXTURE_SUFFIX} files found in ${targets.join(', ')}\n`);
    return EXIT_CHECK_FAILED;
  }
  const report = options.format === 'json' ? jsonReporter(io) : textReporter(io, options.verbose === true);

  // Each policy folder is loaded once, and its errors reported once.
  const policySets = new Map<string, LoadResult<PolicySet>>();
  const reportedBroken = new Set<string>();
  let passed = 0;
  let failed = 0;
  let filteredOut = 0;
  for (const file of found.files) {
    const fixture = loadFixture(file);
    if (!fixture.ok) {
      report.broken(file, fixture.errors.map(formatPolicyError));
      failed++;
      continue;
    }
    if (options.filter && !options.filter.test(fixture.value.name) && !options.filter.test(basename(file))) {
      filteredOut++;
      continue;
    }
    const policyDir = policiesFor(file);
    let policies = policySets.get(policyDir);
    if (policies === undefined) {
      policies = await loadPolicySet([policyDir]);
      policySets.set(policyDir, policies);
    }
    if (!policies.ok) {
      const errors = [`${file}: not run: the policies in ${policyDir} do not load`];
      if (!reportedBroken.has(policyDir)) {
        reportedBroken.add(policyDir);
        errors.push(...policies.errors.map(formatPolicyError));
      }
      report.broken(file, errors);
      failed++;
      continue;
    }
    const run = runFixture(fixture.value, policies.value);
    if (!run.ok) {
      report.broken(file, run.errors.map(formatPolicyError));
      failed++;
      continue;
    }
    for (const outcome of run.value) {
      if (outcome.ok) passed++;
      else failed++;
      report.outcome(file, fixture.value, outcome);
    }
  }
  const ran = passed + failed;
  const skipped = filteredOut > 0 ? ` (${filteredOut} fixture file${filteredOut === 1 ? '' : 's'} not matching --filter)` : '';
  report.closing(`${passed} passed, ${failed} failed${skipped}`, failed > 0 || ran === 0);
  if (ran === 0) {
    io.stderr(`policy test: no fixture matches --filter ${String(options.filter?.source)}\n`);
    return EXIT_CHECK_FAILED;
  }
  return failed > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}
