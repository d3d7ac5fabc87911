/**
 * Real RudderStack Node SDK traffic for tests: a loopback capture server that stands in for a data plane (or
 * for telegate's upstream), and a runner that drives the real SDK (1.1.5 as Automatisch uses it, or 3.0.13)
 * in a child process, so the bytes a test sees are the bytes an Automatisch instance sends.
 *
 *   const server = await startCaptureServer();
 *   const run = await runRudderClient({ version: 3, url: server.url, events: automatischTrackCalls() });
 *   server.requests[0].json  // the decoded batch
 *   await server.close();
 *
 * Both SDK versions POST to `${url}/v1/batch`: 1.x gets that URL verbatim (Automatisch's constant is the full
 * URL), 3.x gets `url` as its `dataPlaneUrl` and appends the path itself.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { JsonObject, JsonValue } from '../../src/json/types';

/** Automatisch's public RudderStack write key (packages/backend/src/helpers/telemetry/index.js). */
export const AUTOMATISCH_WRITE_KEY = '284Py4VgK2MsNYV7xlKzyrALx0v';

export const RUDDER_SDK_VERSIONS = { 1: '1.1.5', 3: '3.0.13' } as const;
export type RudderSdkMajor = keyof typeof RUDDER_SDK_VERSIONS;

// ---------------------------------------------------------------------------------------------------------
// Capture server

export interface CapturedRequest {
  method: string;
  /** The request target as received (path and query). */
  url: string;
  /** Lower-cased header names; Node joins repeated headers. */
  headers: http.IncomingHttpHeaders;
  /** Names and values in arrival order, as sent. */
  rawHeaders: string[];
  /** The body bytes exactly as received. */
  raw: Buffer;
  /** Whether the body was gzip (by `Content-Encoding` or by its magic bytes: the content type says nothing). */
  gzip: boolean;
  /** The body after gzip decoding, as UTF-8 text. */
  text: string;
  /** The parsed JSON body, or `undefined` when the body is not JSON. */
  json: JsonValue | undefined;
}

export interface CaptureReply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface CaptureServerOptions {
  /** Reply status; default 200, like the RudderStack data plane. */
  status?: number;
  /** Reply body; default `OK`. */
  body?: string;
  /** Computes the reply per request instead (e.g. fail the first attempt); overrides status and body. */
  reply?: (request: CapturedRequest) => CaptureReply;
}

export interface CaptureServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** Every request received, in order of completion. */
  requests: CapturedRequest[];
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<CapturedRequest[]>;
  close(): Promise<void>;
}

function decodeBody(raw: Buffer, contentEncoding: string | undefined): { gzip: boolean; text: string; json: JsonValue | undefined } {
  const gzip = contentEncoding === 'gzip' || (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b);
  let text: string;
  try {
    text = (gzip ? zlib.gunzipSync(raw) : raw).toString('utf8');
  } catch {
    return { gzip, text: '', json: undefined };
  }
  try {
    return { gzip, text, json: JSON.parse(text) as JsonValue };
  } catch {
    return { gzip, text, json: undefined };
  }
}

export async function startCaptureServer(options: CaptureServerOptions = {}): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const waiters: Array<() => void> = [];
  const replyFor = options.reply ?? ((): CaptureReply => ({ status: options.status ?? 200, body: options.body ?? 'OK' }));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      const captured: CapturedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        raw,
        ...decodeBody(raw, typeof encoding === 'string' ? encoding.toLowerCase() : undefined),
      };
      requests.push(captured);
      const reply = replyFor(captured);
      res.writeHead(reply.status, { 'Content-Type': 'text/plain; charset=utf-8', ...reply.headers });
      res.end(reply.body);
      for (const wake of waiters.splice(0)) wake();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const waitForRequests = (count: number, timeoutMs = 10_000): Promise<CapturedRequest[]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`capture server: ${requests.length} of ${count} requests after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = (): void => {
        if (requests.length >= count) {
          clearTimeout(timer);
          resolve(requests.slice());
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    waitForRequests,
    close: () =>
      new Promise<void>((resolve) => {
        // SDK 1.x keeps its socket alive; without this, close() would wait for the client's idle timeout.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// SDK runner

/** One `client.track(message)` call, as Automatisch's Telemetry.track() builds it. */
export interface TrackCall {
  userId: string;
  event: string;
  properties: JsonObject;
}

export interface RunRudderClientOptions {
  version: RudderSdkMajor;
  /** Data-plane base URL (`http://127.0.0.1:<port>` or with a path prefix); the SDK POSTs to `${url}/v1/batch`. */
  url: string;
  events: readonly TrackCall[];
  /** Added to the child's environment (e.g. NODE_EXTRA_CA_CERTS). Proxy variables are not inherited, only set here. */
  env?: Record<string, string>;
  writeKey?: string;
  /** 3.x only: default true, as the SDK's own default. */
  gzip?: boolean;
  /**
   * 3.x only: default true. Without an error handler a finally failed batch is an unhandled rejection and the
   * instance's process exits with code 1; tests of that failure mode set this to false.
   */
  errorHandler?: boolean;
  /** The child is killed after this long (neither SDK has a request timeout of its own). Default 20 s. */
  timeoutMs?: number;
  /**
   * Node options placed before the driver on the child's command line (e.g. `['--require', preload]` to map a
   * host name to 127.0.0.1 in the client alone), so they neither replace nor depend on an inherited NODE_OPTIONS.
   */
  nodeArgs?: readonly string[];
}

/** What one `track()` call's callback reported. */
export interface DeliveryResult {
  event: string;
  error: string | null;
}

export interface RunRudderClientResult {
  /** `null` when the child was killed (see `timedOut`). */
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Per-call outcomes, in call order; `null` when the driver did not get as far as printing them. */
  results: DeliveryResult[] | null;
}

const RESULTS_MARKER = 'TELEGATE-RUDDER-RESULTS ';

// The driver runs in its own process so each SDK version has its own module state, timers and axios defaults,
// and so a 3.x crash (unhandled rejection) is observed as the instance would suffer it.
const DRIVER_SOURCE = `'use strict';
const fs = require('fs');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const Analytics = require(cfg.sdkPath);
let client;
if (cfg.version === 1) {
  // Exactly as Automatisch: new Analytics(WRITE_KEY, DATA_PLANE_URL), no options.
  client = new Analytics(cfg.writeKey, cfg.url + '/v1/batch');
} else {
  const options = { dataPlaneUrl: cfg.url, gzip: cfg.gzip };
  if (cfg.errorHandler) options.errorHandler = (err) => console.error('send failed: ' + err.message);
  client = new Analytics(cfg.writeKey, options);
}
const print = (results) => console.log(${JSON.stringify(RESULTS_MARKER)} + JSON.stringify(results));
const delivered = cfg.events.map((message) => new Promise((resolve) =>
  client.track(message, (err) => resolve({ event: message.event, error: err ? String(err.message || err) : null }))));
if (cfg.version === 1) {
  // The first track() is POSTed alone at once; flush() sends the rest now instead of in 20 s.
  client.flush(() => {});
  Promise.all(delivered).then((results) => {
    print(results);
    // 1.x re-arms a 20 s timer after each send and has no close(): exit explicitly.
    process.exit(results.some((r) => r.error) ? 1 : 0);
  });
} else {
  (async () => {
    await client.flush();
    const results = await Promise.all(delivered);
    print(results);
    process.exitCode = results.some((r) => r.error) ? 1 : 0;
  })();
}
`;

const PROXY_VARIABLES = /^(https?|all|no)_proxy$/i;

function childEnvironment(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // An inherited proxy would send the SDK's traffic off the loopback interface.
    if (!PROXY_VARIABLES.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

function parseResults(stdout: string): DeliveryResult[] | null {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULTS_MARKER));
  return line === undefined ? null : (JSON.parse(line.slice(RESULTS_MARKER.length)) as DeliveryResult[]);
}

export async function runRudderClient(options: RunRudderClientOptions): Promise<RunRudderClientResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'telegate-rudder-'));
  try {
    const driver = path.join(dir, 'driver.js');
    const input = path.join(dir, 'input.json');
    await fs.writeFile(driver, DRIVER_SOURCE);
    await fs.writeFile(
      input,
      JSON.stringify({
        sdkPath: require.resolve(options.version === 1 ? 'rudder-sdk-node-v1' : 'rudder-sdk-node-v3'),
        version: options.version,
        url: options.url.replace(/\/+$/, ''),
        writeKey: options.writeKey ?? AUTOMATISCH_WRITE_KEY,
        gzip: options.gzip ?? true,
        errorHandler: options.errorHandler ?? true,
        events: options.events,
      }),
    );

    return await new Promise<RunRudderClientResult>((resolve, reject) => {
      const child = spawn(process.execPath, [...(options.nodeArgs ?? []), driver, input], { env: childEnvironment(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
      child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 20_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ exitCode: code, timedOut, stdout, stderr, results: parseResults(stdout) });
      });
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Automatisch's events

export interface AutomatischIdentity {
  /** SHA3-256 hex of the instance's ENCRYPTION_KEY. */
  organizationId: string;
  /** crypto.randomUUID() at process start. */
  instanceId: string;
  /** APP_ENV. */
  appEnv: string;
}

export interface AutomatischHost {
  operatingSystem: { type: string; version: string };
  memory: number;
  cpus: { count: number; model: string; speed: number };
}

/** Invented, but shaped like the real thing. */
export const EXAMPLE_IDENTITY: AutomatischIdentity = {
  organizationId: '7d3c1f0e9b8a47260f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a19080',
  instanceId: 'c4a1e6f2-3b7d-4e89-9f10-2d5b8a7c6e41',
  appEnv: 'production',
};

export const EXAMPLE_HOST: AutomatischHost = {
  operatingSystem: { type: 'Linux', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)' },
  memory: 15988.4765625,
  cpus: { count: 4, model: 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', speed: 2900 },
};

/** The machine running the tests, read as Automatisch's diagnosticInfo() reads it. */
export function currentHost(): AutomatischHost {
  const cpus = os.cpus();
  return {
    operatingSystem: { type: os.type(), version: os.version() },
    memory: os.totalmem() / (1024 * 1024),
    cpus: { count: cpus.length, model: cpus[0]?.model ?? '', speed: cpus[0]?.speed ?? 0 },
  };
}

/**
 * One call of every kind Automatisch makes (Telemetry.stepCreated … diagnosticInfo), in an order a user
 * could cause: the process starts (diagnosticInfo), a flow is built and run once. Properties carry the
 * keys Automatisch's helper writes, in its order, followed by appEnv and instanceId as its track() adds them.
 */
export function automatischTrackCalls(identity: AutomatischIdentity = EXAMPLE_IDENTITY, host: AutomatischHost = EXAMPLE_HOST): TrackCall[] {
  const flowId = '1f6e8c2a-9d4b-4a7e-b3c5-6e2d0f9a8b17';
  const triggerStepId = '5b2e9d71-0c8f-4f36-a1d4-7e3b6c9a2f58';
  const actionStepId = 'e8d4a3c6-27b1-4d5f-9e0a-3c6f1b8d7a24';
  const connectionId = '9a7c5e3b-1d2f-4b6a-8c0e-f4d2b6a8c1e3';
  const executionId = '3d9f1b7e-5a2c-4e8d-b6f0-1a3c5e7d9b02';
  const executionStepId = '6c0e2a4d-8f1b-4c3e-a5d7-9b1f3e5a7c60';
  const t = (second: number): string => `2025-05-01T10:00:${String(second).padStart(2, '0')}.000Z`;
  const common = { appEnv: identity.appEnv, instanceId: identity.instanceId };
  const call = (event: string, properties: JsonObject): TrackCall => ({
    userId: identity.organizationId,
    event,
    properties: { ...properties, ...common },
  });
  return [
    call('diagnosticInfo', {
      automatischVersion: '0.15.0',
      serveWebAppSeparately: false,
      serviceType: 'main',
      operatingSystem: { ...host.operatingSystem },
      memory: host.memory,
      cpus: { ...host.cpus },
    }),
    call('flowCreated', { flowId, name: 'Name your flow', active: false, createdAt: t(1), updatedAt: t(1) }),
    call('stepCreated', { stepId: triggerStepId, flowId, createdAt: t(1), updatedAt: t(1) }),
    call('stepCreated', { stepId: actionStepId, flowId, createdAt: t(1), updatedAt: t(1) }),
    call('connectionCreated', { connectionId, key: 'slack', verified: false, createdAt: t(20), updatedAt: t(20) }),
    call('connectionUpdated', { connectionId, key: 'slack', verified: true, createdAt: t(20), updatedAt: t(24) }),
    call('stepUpdated', {
      stepId: triggerStepId, flowId, key: 'newIssues', appKey: 'github', type: 'trigger', position: 1,
      status: 'completed', createdAt: t(1), updatedAt: t(31),
    }),
    call('stepUpdated', {
      stepId: actionStepId, flowId, key: 'sendMessageToChannel', appKey: 'slack', type: 'action', position: 2,
      status: 'completed', createdAt: t(1), updatedAt: t(45),
    }),
    call('flowUpdated', {
      flowId, name: 'Post new GitHub issues of jane.roe@example.com to #support', active: true,
      createdAt: t(1), updatedAt: t(52),
    }),
    call('executionCreated', { executionId, flowId, testRun: false, createdAt: t(58), updatedAt: t(58) }),
    call('executionStepCreated', {
      executionStepId, executionId, stepId: triggerStepId, status: 'success', createdAt: t(58), updatedAt: t(58),
    }),
  ];
}
