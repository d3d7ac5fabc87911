/**
 * `telegate policy explain`: apply one vendor endpoint's policy at one level to a payload (a file or stdin)
 * and show what would leave, with the very engine the gateway runs.
 *
 * Where the policies and the hash key come from is explain-context.ts's business. `--summary` prints counts
 * per action and path instead of the body and the diff (render-explain-summary.ts).
 */
import { readFile } from 'node:fs/promises';
import { parseJson } from '../json/parse';
import { serializeJson } from '../json/serialize';
import type { JsonValue } from '../json/types';
import { createPseudonymizer, formatPolicyError, loadPolicySet, traceTransform, transform, type Level } from '../policy';
import { summarizeTransform } from '../policy/summary';
import type { ConfigOption } from './cli-config';
import { resolveExplainContext } from './explain-context';
import { fileProblem } from './file-problem';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { renderExplain } from './render-explain';
import { renderExplainSummary } from './render-explain-summary';
import { styleFor } from './render-style';

export interface PolicyExplainOptions extends ConfigOption {
  vendor: string;
  endpoint: string;
  level: Level;
  format: 'text' | 'json';
  /** A policy folder or file; overrides TELEGATE_POLICIES. */
  policies?: string;
  /** Payload file, or `-` for stdin. */
  file: string;
  /** Human form: show the input's values in the diff (off: nothing the vendor would not get is printed). */
  originals?: boolean;
  /** Counts per action and path, no body. */
  summary?: boolean;
}

async function readPayload(file: string, io: CliIO): Promise<Buffer> {
  if (file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function runPolicyExplain(options: PolicyExplainOptions, io: CliIO): Promise<number> {
  const usage = (message: string): number => { io.stderr(`policy explain: ${message}\n`); return EXIT_USAGE; };

  const context = await resolveExplainContext(options, io);
  if (!context.ok) return context.message === undefined ? EXIT_USAGE : usage(context.message);
  const { policyPaths, key, maxDepth, maxValues } = context.value;

  const loaded = await loadPolicySet(policyPaths);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr(`${formatPolicyError(error)}\n`);
    return usage(`the policies in ${policyPaths.join(', ')} do not load (run telegate policy check)`);
  }
  const policy = loaded.value.policies.get(options.vendor);
  if (policy === undefined) {
    const known = [...loaded.value.policies.keys()].sort().join(', ');
    return usage(`unknown vendor "${options.vendor}": ${policyPaths.join(', ')} holds policies for ${known}`);
  }
  const endpoint = policy.endpoints.get(options.endpoint);
  if (endpoint === undefined) {
    const known = [...policy.endpoints.keys()].sort().join(', ');
    return usage(`unknown endpoint "${options.endpoint}" for vendor ${policy.vendor}: its policy declares ${known}`);
  }

  let bytes: Buffer;
  try {
    bytes = await readPayload(options.file, io);
  } catch (err) {
    return usage(`cannot read the payload ${options.file}: ${fileProblem(err)}`);
  }
  const parsed = parseJson(bytes, { maxDepth, maxValues });
  if (!parsed.ok) {
    const source = options.file === '-' ? 'stdin' : options.file;
    return usage(`the payload in ${source} is not usable JSON (${parsed.error.code}): ${parsed.error.detail}`);
  }

  // A summary shows no value, so which key made the pseudonyms does not matter there.
  if (key.kind === 'ephemeral' && options.summary !== true) {
    io.stderr('policy explain: no hash key (TELEGATE_HASH_KEY, hash.key_file, or a key generated in the data folder): pseudonyms use a random key for this run and differ from the gateway\'s\n');
  }
  // One pseudonymizer for the body and the diff: with an ephemeral key, two would disagree.
  const pseudonymizer = createPseudonymizer(key.bytes);
  const result = transform(endpoint, options.level, parsed.value, pseudonymizer);

  if (options.summary === true) {
    const summary = summarizeTransform(result, traceTransform(endpoint, options.level, parsed.value, pseudonymizer));
    io.stdout(options.format === 'json'
      ? `${JSON.stringify(summary)}\n`
      : renderExplainSummary({ policy, endpoint, level: options.level, summary }, styleFor(io)));
  } else if (options.format === 'json') {
    const out: JsonValue = {
      decision: result.decision,
      body: result.body,
      dropped: result.dropped,
      hashed: result.hashed,
      unknown: result.unknown,
      invalid: result.invalid,
      redacted: result.redacted,
      detections: result.detections,
      ...(result.unlisted === undefined ? {} : { unlisted: { paths: result.unlisted.paths, values: result.unlisted.values } }),
    };
    io.stdout(`${serializeJson(out)}\n`);
  } else {
    const changes = traceTransform(endpoint, options.level, parsed.value, pseudonymizer);
    io.stdout(renderExplain({ policy, endpoint, level: options.level, result, changes, originals: options.originals === true }, styleFor(io)));
  }
  return EXIT_OK;
}
