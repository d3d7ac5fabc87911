/**
 * `telegate policy explain`: apply one vendor endpoint's policy at one level to a payload (a file or stdin)
 * and show what would leave, with the very engine the gateway runs.
 *
 * Where the policies and the hash key come from is explain-context.ts's business.
 */
import { readFile } from 'node:fs/promises';
import { parseJson } from '../json/parse';
import { serializeJson } from '../json/serialize';
import type { JsonValue } from '../json/types';
import { createPseudonymizer, formatPolicyError, loadPolicySet, traceTransform, transform, type Level } from '../policy';
import { resolveExplainContext } from './explain-context';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';
import { renderExplain } from './render-explain';
import { styleFor } from './render-style';

export interface PolicyExplainOptions {
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
}

async function readPayload(file: string, io: CliIO): Promise<Buffer> {
  if (file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function runPolicyExplain(options: PolicyExplainOptions, io: CliIO): Promise<number> {
  const usage = (message: string): number => { io.stderr(`policy explain: ${message}\n`); return EXIT_USAGE; };

  const context = await resolveExplainContext(options);
  if (!context.ok) return usage(context.message);
  const { policyPaths, key, maxDepth } = context.value;

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
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return usage(`cannot read the payload ${options.file}: ${reason}`);
  }
  const parsed = parseJson(bytes, { maxDepth });
  if (!parsed.ok) {
    const source = options.file === '-' ? 'stdin' : options.file;
    return usage(`the payload in ${source} is not usable JSON (${parsed.error.code}): ${parsed.error.detail}`);
  }

  if (key.kind === 'ephemeral') {
    io.stderr('policy explain: no hash key (TELEGATE_HASH_KEY, or a key generated in the data folder): pseudonyms use a random key for this run and differ from the gateway\'s\n');
  }
  // One pseudonymizer for the body and the diff: with an ephemeral key, two would disagree.
  const pseudonymizer = createPseudonymizer(key.bytes);
  const result = transform(endpoint, options.level, parsed.value, pseudonymizer);

  if (options.format === 'json') {
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
