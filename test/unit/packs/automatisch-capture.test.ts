/**
 * The Automatisch pack against what the real RudderStack SDK puts on the wire. Both SDK versions run in child
 * processes against a loopback capture server, sending every event Automatisch sends; the captured batches
 * must hold exactly the fields policies/automatisch.yaml names for each event, so a field the SDK adds (or a
 * new SDK version starts adding) cannot slip past the pack unnoticed.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import type { JsonObject, JsonValue } from '../../../src/json/types';
import { type Endpoint, createPseudonymizer, loadPolicyFile, transform } from '../../../src/policy';
import {
  AUTOMATISCH_WRITE_KEY,
  EXAMPLE_IDENTITY,
  type CaptureServer,
  type CapturedRequest,
  type RudderSdkMajor,
  RUDDER_SDK_VERSIONS,
  automatischTrackCalls,
  currentHost,
  runRudderClient,
  startCaptureServer,
} from '../../helpers/rudder-capture';

const POLICY_FILE = path.join(__dirname, '../../../policies/automatisch.yaml');

interface PackPaths {
  /** Top-level keys beside `batch`. */
  topLevel: Set<string>;
  /** Per event name, every field path the pack names inside an element. */
  perEvent: Map<string, Set<string>>;
}

/** Reads the pack's rule paths directly: this pack writes only `key` and `batch[event=Name].a.b` paths. */
function packPaths(): PackPaths {
  const policy = load(readFileSync(POLICY_FILE, 'utf8')) as { endpoints: Record<string, { fields: Record<string, unknown> }> };
  const fields = policy.endpoints['/v1/batch']?.fields ?? {};
  const topLevel = new Set<string>();
  const perEvent = new Map<string, Set<string>>();
  for (const rulePath of Object.keys(fields)) {
    const scoped = /^batch\[event=([A-Za-z]+)\]\.(.+)$/.exec(rulePath);
    if (scoped) {
      const [, event, inner] = scoped as unknown as [string, string, string];
      if (!perEvent.has(event)) perEvent.set(event, new Set());
      perEvent.get(event)?.add(inner);
    } else {
      topLevel.add(rulePath);
    }
  }
  return { topLevel, perEvent };
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function leafPaths(value: JsonObject, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, child]) =>
    isObject(child) ? leafPaths(child, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

function batchOf(request: CapturedRequest): JsonObject[] {
  if (!isObject(request.json) || !Array.isArray(request.json['batch'])) throw new Error(`not a batch: ${request.text}`);
  return request.json['batch'].filter(isObject);
}

const host = currentHost();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROW_IDS = ['flowId', 'stepId', 'executionId', 'executionStepId', 'connectionId'];

async function capture(version: RudderSdkMajor): Promise<CapturedRequest[]> {
  const server: CaptureServer = await startCaptureServer();
  try {
    const calls = automatischTrackCalls(EXAMPLE_IDENTITY, host);
    const run = await runRudderClient({ version, url: server.url, events: calls });
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(run.results).toEqual(calls.map((c) => ({ event: c.event, error: null })));
    return server.requests.slice();
  } finally {
    await server.close();
  }
}

describe('Automatisch telemetry through the real RudderStack SDK', () => {
  const pack = packPaths();
  const captured = new Map<RudderSdkMajor, CapturedRequest[]>();

  beforeAll(async () => {
    captured.set(1, await capture(1));
    captured.set(3, await capture(3));
  });

  const expectedAuthorization = `Basic ${Buffer.from(`${AUTOMATISCH_WRITE_KEY}:`).toString('base64')}`;

  it('SDK 1.1.5, built as Automatisch builds it, posts plain JSON to /v1/batch with the write key', () => {
    const requests = captured.get(1) ?? [];
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/v1/batch');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['content-encoding']).toBeUndefined();
      expect(request.gzip).toBe(false);
      expect(request.headers['authorization']).toBe(expectedAuthorization);
      expect(request.headers['user-agent']).toBe(`analytics-node/${RUDDER_SDK_VERSIONS[1]}`);
      expect(request.raw.toString('utf8')).toBe(JSON.stringify(request.json));
    }
  });

  it('SDK 3.0.13 gzips the batch and labels it application/x-www-form-urlencoded', () => {
    const requests = captured.get(3) ?? [];
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/v1/batch');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers['content-encoding']).toBe('gzip');
      expect([...request.raw.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      expect(request.headers['authorization']).toBe(expectedAuthorization);
      expect(request.headers['user-agent']).toBe(`analytics-node/${RUDDER_SDK_VERSIONS[3]}`);
      expect(request.json).toHaveProperty('timestamp');
    }
  });

  it.each([1, 3] as const)('SDK %i delivers every Automatisch event exactly once', (version) => {
    const events = (captured.get(version) ?? []).flatMap(batchOf).map((m) => m['event']);
    expect(events).toEqual(automatischTrackCalls().map((c) => c.event));
  });

  it.each([1, 3] as const)('every field of every SDK %i message is one the pack names for its event, and vice versa', (version) => {
    for (const message of (captured.get(version) ?? []).flatMap(batchOf)) {
      const event = String(message['event']);
      expect({ event, paths: leafPaths(message).sort() }).toEqual({ event, paths: [...(pack.perEvent.get(event) ?? [])].sort() });
    }
  });

  it('the batch-level keys of both SDK versions are exactly the ones the pack names', () => {
    const seen = new Set<string>();
    for (const version of [1, 3] as const) {
      for (const request of captured.get(version) ?? []) {
        if (isObject(request.json)) Object.keys(request.json).filter((k) => k !== 'batch').forEach((k) => seen.add(k));
      }
    }
    expect([...seen].sort()).toEqual([...pack.topLevel].sort());
  });

  it('names every event kind Automatisch sends, and no other', () => {
    const sent = new Set(automatischTrackCalls().map((c) => c.event));
    expect([...pack.perEvent.keys()].sort()).toEqual([...sent].sort());
  });
});

describe('the pack applied to batches the real SDK sent', () => {
  const captured = new Map<RudderSdkMajor, CapturedRequest[]>();
  let endpoint: Endpoint;
  const pseudonymizer = createPseudonymizer(Buffer.from('automatisch-capture-test-key', 'utf8'));

  beforeAll(async () => {
    const loaded = await loadPolicyFile(POLICY_FILE);
    if (!loaded.ok) throw new Error(`policies/automatisch.yaml does not load: ${JSON.stringify(loaded.errors)}`);
    const batchEndpoint = loaded.value.endpoints.get('/v1/batch');
    if (batchEndpoint === undefined) throw new Error('policies/automatisch.yaml has no /v1/batch endpoint');
    endpoint = batchEndpoint;
    captured.set(1, await capture(1));
    captured.set(3, await capture(3));
  });

  const bodies = (version: RudderSdkMajor): JsonValue[] =>
    (captured.get(version) ?? []).map((r) => r.json).filter((b): b is JsonValue => b !== undefined);

  it.each([1, 3] as const)('level 2 forwards SDK %i batches unchanged, with nothing unknown, dropped, hashed, invalid or redacted', (version) => {
    for (const body of bodies(version)) {
      expect(transform(endpoint, 2, body, pseudonymizer)).toEqual({ decision: 'forward', body, dropped: {}, hashed: {}, unknown: {}, invalid: {}, redacted: {}, detections: {} });
    }
  });

  it.each([1, 3] as const)('level 1 keeps every SDK %i event, with nothing unknown and no identifying original left', (version) => {
    const originals = [EXAMPLE_IDENTITY.organizationId, EXAMPLE_IDENTITY.instanceId, host.operatingSystem.version];
    const flowIds = new Set<string>();
    for (const body of bodies(version)) {
      const result = transform(endpoint, 1, body, pseudonymizer);
      expect(result.unknown).toEqual({});
      const input = isObject(body) && Array.isArray(body['batch']) ? body['batch'].filter(isObject) : [];
      const output = isObject(result.body) && Array.isArray(result.body['batch']) ? result.body['batch'].filter(isObject) : [];
      expect(output.map((m) => m['event'])).toEqual(input.map((m) => m['event']));

      const sent = JSON.stringify(result.body);
      for (const original of originals) expect(sent).not.toContain(original);
      input.forEach((message, i) => {
        const inProps = message['properties'];
        const outProps = output[i]?.['properties'];
        if (!isObject(inProps) || !isObject(outProps)) throw new Error('a message without properties');
        expect(sent).not.toContain(String(message['messageId']));
        expect(outProps).not.toHaveProperty('name');
        for (const id of ROW_IDS.filter((k) => k in inProps)) {
          expect(sent).not.toContain(String(inProps[id]));
          expect(String(outProps[id])).toMatch(UUID);
        }
        if (typeof outProps['flowId'] === 'string') flowIds.add(outProps['flowId']);
      });
    }
    // Every event of the one flow carries the same pseudonym: the vendor can still join them.
    expect(flowIds.size).toBe(1);
  });
});
