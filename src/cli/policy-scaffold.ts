/**
 * `telegate policy scaffold --vendor V --endpoint P [FILE…] [--from-drift]`: a draft policy for review
 * (src/policy/scaffold.ts), from captured bodies and/or the unknown paths the audit log holds for that
 * endpoint. With a current policy for V (the configured policies folder, or --policies), only paths it
 * does not cover are drafted. The draft goes to stdout, or to --out FILE (never over an existing file).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { driftReport } from '../audit/query/drift';
import { parseJson } from '../json/parse';
import { formatPolicyError, loadPolicySet, type Policy } from '../policy';
import { parseFieldPath, parseReportPath } from '../policy/paths';
import { scaffoldPolicy, type ScaffoldBody, type ScaffoldPath, type UnnamedPath } from '../policy/scaffold';
import { scanAuditFolder } from './audit-folder';
import { cliConfig } from './cli-config';
import { fileProblem } from './file-problem';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import type { PolicyScaffoldOptions } from './policy-scaffold-command';

const COMMAND = 'policy scaffold';
/** Captured bodies are the user's own files, but a draft is for review: a sane ceiling on what is read. */
const MAX_BODY_DEPTH = 512;

export async function runPolicyScaffold(files: readonly string[], options: PolicyScaffoldOptions, io: CliIO): Promise<number> {
  const usage = (message: string): number => { io.stderr(`${COMMAND}: ${message}\n`); return EXIT_USAGE; };
  if (files.length === 0 && options.fromDrift !== true) return usage('give captured bodies (FILE…) or --from-drift');

  const bodies: ScaffoldBody[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = file === '-' ? await readStdin(io) : await readFile(file);
    } catch (error) {
      return usage(`cannot read ${file}: ${fileProblem(error)}`);
    }
    const parsed = parseJson(bytes, { maxDepth: MAX_BODY_DEPTH });
    if (!parsed.ok) return usage(`${file === '-' ? 'stdin' : file} is not usable JSON (${parsed.error.code}): ${parsed.error.detail}`);
    const value = parsed.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return usage(`${file}: a request body is a JSON object`);
    bodies.push({ source: file === '-' ? 'stdin' : file, value });
  }

  const config = await cliConfig(COMMAND, options, io);
  if (!config.ok) return config.code;
  const current = await currentPolicy(options, config.value.policies, io);
  if (current === 'failed') return EXIT_CHECK_FAILED;
  const existing = current?.endpoints.get(options.endpoint);

  const paths: ScaffoldPath[] = [];
  const unnamed: UnnamedPath[] = [];
  if (options.fromDrift === true) {
    const ran = await scanAuditFolder(`telegate ${COMMAND}`, { dir: options.auditDir ?? config.value.audit.dir }, io,
      (scan, progress) => driftReport(scan, { vendor: options.vendor, ...progress }));
    if (!ran) return EXIT_USAGE;
    for (const row of ran.result) {
      if (row.endpoint !== options.endpoint) continue;
      const parsed = parseFieldPath(row.path);
      // `$` (a body that was not an object) and paths the language cannot express are no rule to draft.
      if (parsed.ok) paths.push({ segments: parsed.path.segments, occurrences: row.count, requests: row.requests });
      else if (parseReportPath(row.path).ok) unnamed.push({ path: row.path, occurrences: row.count, requests: row.requests });
    }
    if (paths.length === 0 && unnamed.length === 0 && bodies.length === 0) {
      io.stderr(`${COMMAND}: the audit log holds no unknown path for ${options.vendor} ${options.endpoint}: nothing to draft\n`);
      return EXIT_CHECK_FAILED;
    }
  }

  // What the current policy already says of the vendor is the draft's default: the draft is pasted into it.
  const upstream = options.upstream ?? current?.upstream;
  const hosts = options.host ?? current?.hosts;
  const result = scaffoldPolicy({
    vendor: options.vendor, endpoint: options.endpoint,
    method: options.method ?? existing?.method ?? 'POST',
    localStatus: options.status ?? existing?.localReply.status ?? 200,
    ...(upstream === undefined ? {} : { upstream }),
    ...(hosts === undefined ? {} : { hosts }),
    bodies, paths, unnamed,
    ...(existing === undefined ? {} : { existing }),
  });
  if (options.out !== undefined) {
    try {
      await writeFile(options.out, result.yaml, { flag: 'wx' });
    } catch (error) {
      const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
      return usage(`cannot write ${options.out}: ${exists ? 'the file exists (a draft never replaces a file)' : fileProblem(error)}`);
    }
  } else {
    io.stdout(result.yaml);
  }
  const covered = result.covered > 0 ? `; ${result.covered} path(s) the current policy covers left out` : '';
  const withheld = unnamed.length > 0 ? `; ${unnamed.length} unknown path(s) the log names only by a key's tag listed in comments (capture a body to draft them)` : '';
  io.stderr(`${COMMAND}: drafted ${result.drafted} rule(s), all dropped${covered}${withheld}; review them, then run telegate policy check\n`);
  return EXIT_OK;
}

/** The vendor's current policy, undefined when there is none, 'failed' when --policies was given and does not load. */
async function currentPolicy(options: PolicyScaffoldOptions, configured: string, io: CliIO): Promise<Policy | undefined | 'failed'> {
  const folder = options.policies ?? configured;
  const loaded = await loadPolicySet([folder]);
  if (!loaded.ok) {
    if (options.policies === undefined) {
      // The default folder may simply not exist where a new vendor is drafted.
      io.stderr(`${COMMAND}: note: the policies in ${folder} do not load, so nothing is left out as covered\n`);
      return undefined;
    }
    for (const error of loaded.errors) io.stderr(`${formatPolicyError(error)}\n`);
    io.stderr(`${COMMAND}: the policies in ${folder} do not load (run telegate policy check)\n`);
    return 'failed';
  }
  return loaded.value.policies.get(options.vendor);
}

async function readStdin(io: CliIO): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
