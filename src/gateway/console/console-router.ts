/**
 * The web console under /console on the admin port (issue 4): egress records with filters, one record,
 * drift, the policy matrix, egress volume, policy digests and reload. Server-rendered HTML with no script;
 * the same data as JSON under /console/api/ for scripts (Bearer token). Every page reads the audit folder
 * through the same streaming queries as `telegate audit …`, so memory stays bounded whatever the log.
 */
import express, { type Request, type Response, type Router } from 'express';
import { driftReport } from '../../audit/query/drift';
import { ShadowAggregate } from '../../audit/query/shadow';
import { newestEgress } from '../../audit/query/newest';
import { planScan } from '../../audit/query/record-scan';
import { findRequest } from '../../audit/query/show';
import { parseTimeBound } from '../../audit/query/time-bound';
import { BUCKET_MS, MAX_BUCKETS, volumeReport, type VolumeBucket } from '../../audit/query/volume';
import { buildInventory } from '../../policy/inventory';
import type { PolicySet } from '../../policy/types';
import type { ReadinessReport } from '../admin-app';
import { CONSOLE_BASE, accessOf, createConsoleGate } from './console-access';
import { CONSOLE_CSS } from './console-css';
import { readCheckpointStatus } from '../../audit/tlog/checkpoint-status';
import { renderCheckpointsBody } from './checkpoints-view';
import { renderDriftBody } from './drift-view';
import { html, type Html } from './html';
import { shownJson } from '../../audit/query/result-json';
import { recordsJson } from './console-json';
import { renderLoginBody, safeNext } from './login-view';
import { renderPage, type NavKey } from './page-layout';
import { renderPolicyMatrixBody } from './policy-matrix-view';
import { renderRecordBody } from './record-view';
import { parseRecordsQuery, queryText } from './records-query';
import { renderRecordsBody } from './records-view';
import { consoleSecurityHeaders } from './security-headers';
import { renderStatusBody } from './status-view';
import { renderVolumeBody } from './volume-view';
import type { VolumeMetric } from './volume-chart';

export interface ConsoleDeps {
  auditDir: string;
  /** The policy set in force, undefined before the first load. */
  policySet: () => PolicySet | undefined;
  /** Asynchronous when the state lives in worker processes (src/cluster). */
  readiness: () => ReadinessReport | Promise<ReadinessReport>;
  reload: () => Promise<{ ok: boolean; errors?: string[] }>;
  token: string | undefined;
  loopbackOnly: boolean;
  now?: () => number;
}

const DEFAULT_SPAN: Record<VolumeBucket, string> = { hour: '48h', day: '30d' };

export function createConsoleRouter(deps: ConsoleDeps): Router {
  const now = deps.now ?? Date.now;
  const gate = createConsoleGate(deps.token, deps.loopbackOnly);
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

  const send = (req: Request, res: Response, title: string, active: NavKey | undefined, body: Html, status = 200): void => {
    res.status(status).type('html').send(renderPage({ title, ...(active ? { active } : {}), access: accessOf(req) }, body));
  };
  const vendorsInForce = async (): Promise<string[]> => (await deps.readiness()).policies.map((p) => p.vendor).sort();
  const failed = (req: Request, res: Response, error: unknown): void => {
    const detail = `The audit folder could not be read (${error instanceof Error && 'code' in error ? String(error.code) : 'read error'}).`;
    if (req.path.startsWith('/api/')) res.status(500).json({ error: 'audit-unreadable', detail });
    else send(req, res, 'Audit log unreadable', undefined, html`<p role="alert" class="error">${detail}</p>`, 500);
  };

  router.use(consoleSecurityHeaders);
  router.get('/assets/console.css', (_req, res) => { res.type('text/css').send(CONSOLE_CSS); });

  const loginPage = (res: Response, next: string, status: number, wrong: boolean): void => {
    res.status(status).type('html').send(renderPage({ title: 'Log in' }, renderLoginBody(next, wrong)));
  };
  router.get('/login', (req, res) => {
    if (gate.mode === 'token') loginPage(res, safeNext(req.query['next']), 200, false);
    else if (gate.mode === 'open') res.redirect(303, `${CONSOLE_BASE}/records`);
    else res.status(403).type('text/plain').send('The admin port is not on loopback and no admin token is configured: the console is refused.\n');
  });
  router.post('/login', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body['next']);
    if (gate.mode !== 'token') {
      if (gate.mode === 'open') res.redirect(303, next);
      else res.status(403).type('text/plain').send('The console is refused: no admin token is configured.\n');
      return;
    }
    const token = typeof body['token'] === 'string' ? body['token'] : '';
    if (!gate.tokenMatches(token)) {
      loginPage(res, next, 401, true);
      return;
    }
    gate.startSession(res, true);
    res.redirect(303, next);
  });

  // Everything below needs access; an unauthenticated browser gets the login form with a 401.
  router.use(gate.require((req, res) => loginPage(res, safeNext(`${CONSOLE_BASE}${req.url}`), 401, false)));

  router.post('/logout', form, (req, res, next) => gate.requireCsrf(req, res, next), (req, res) => {
    gate.endSession(req, res);
    res.redirect(303, `${CONSOLE_BASE}/login`);
  });
  router.get('/', (_req, res) => { res.redirect(303, `${CONSOLE_BASE}/records`); });

  // --- egress records --------------------------------------------------------------------------------
  const records = async (req: Request) => {
    const query = parseRecordsQuery(req.query as Record<string, unknown>, now);
    if (query.errors.length > 0) return { query, page: null };
    const scan = await planScan(deps.auditDir, query.filter.since === undefined ? {} : { since: query.filter.since });
    const page = await newestEgress(scan, query.filter, { limit: query.limit, ...(query.before ? { before: query.before } : {}) });
    return { query, page };
  };
  router.get('/records', async (req, res) => {
    try {
      const { query, page } = await records(req);
      send(req, res, 'Egress records', 'records', renderRecordsBody(query, await vendorsInForce(), page), page === null ? 400 : 200);
    } catch (error) { failed(req, res, error); }
  });
  router.get('/api/records', async (req, res) => {
    try {
      const { query, page } = await records(req);
      if (page === null) res.status(400).json({ error: 'bad-filter', detail: query.errors.map((e) => e.message).join('; ') });
      else res.json(recordsJson(page));
    } catch (error) { failed(req, res, error); }
  });

  const oneRecord = async (req: Request) => findRequest(await planScan(deps.auditDir), String(req.params['id'] ?? ''));
  router.get('/records/:id', async (req, res) => {
    try {
      const shown = await oneRecord(req);
      if (!shown) send(req, res, 'Record not found', 'records', html`<p role="alert">No egress record has the request id <code>${String(req.params['id'] ?? '')}</code>.</p><p><a href="${CONSOLE_BASE}/records">Back to the egress records</a></p>`, 404);
      else send(req, res, `Request ${shown.egress.id}`, 'records', renderRecordBody(shown));
    } catch (error) { failed(req, res, error); }
  });
  router.get('/api/records/:id', async (req, res) => {
    try {
      const shown = await oneRecord(req);
      if (!shown) res.status(404).json({ error: 'not-found', detail: 'no egress record has this request id' });
      else res.type('json').send(shownJson(shown));
    } catch (error) { failed(req, res, error); }
  });

  // --- drift -----------------------------------------------------------------------------------------
  const drift = async (req: Request) => {
    const vendor = queryText(req.query as Record<string, unknown>, 'vendor');
    const shadow = new ShadowAggregate();
    const rows = await driftReport(await planScan(deps.auditDir), { ...(vendor === '' ? {} : { vendor }), shadow });
    return { vendor, rows, shadow: shadow.rows() };
  };
  router.get('/drift', async (req, res) => {
    try {
      const { vendor, rows, shadow } = await drift(req);
      send(req, res, 'Drift: fields the policies did not know', 'drift', renderDriftBody(rows, await vendorsInForce(), vendor, shadow));
    } catch (error) { failed(req, res, error); }
  });
  router.get('/api/drift', async (req, res) => {
    try {
      const { rows, shadow } = await drift(req);
      res.json({ rows, shadow });
    } catch (error) { failed(req, res, error); }
  });

  // --- policy matrix ---------------------------------------------------------------------------------
  const matrix = () => {
    const set = deps.policySet();
    return set === undefined ? undefined : buildInventory(set);
  };
  const enforced = async (): Promise<Map<string, number>> => new Map((await deps.readiness()).policies.map((p) => [p.vendor, p.level]));
  router.get('/policies', async (req, res) => {
    const inventory = matrix();
    send(req, res, 'Policy matrix', 'policies', inventory ? renderPolicyMatrixBody(inventory, await enforced()) : html`<p role="alert">No policy set is loaded.</p>`, inventory ? 200 : 503);
  });
  router.get('/api/policies', async (_req, res) => {
    const inventory = matrix();
    if (!inventory) res.status(503).json({ error: 'not-loaded', detail: 'no policy set is loaded' });
    else res.json({ enforced: Object.fromEntries(await enforced()), ...inventory });
  });

  // --- volume ----------------------------------------------------------------------------------------
  const volume = async (req: Request) => {
    const q = req.query as Record<string, unknown>;
    const bucket: VolumeBucket = queryText(q, 'bucket') === 'day' ? 'day' : 'hour';
    const metric: VolumeMetric = queryText(q, 'metric') === 'bytes' ? 'bytes' : 'requests';
    const since = queryText(q, 'since') || DEFAULT_SPAN[bucket];
    const form = { bucket, metric, since };
    const bound = parseTimeBound(since, now);
    if (!bound.ok) return { form, metric, report: null, error: bound.message };
    const until = now();
    if ((until - bound.ms) / BUCKET_MS[bucket] > MAX_BUCKETS) {
      return { form, metric, report: null, error: `That window is more than ${MAX_BUCKETS} ${bucket}s: choose a later Since, or per day.` };
    }
    const report = await volumeReport(await planScan(deps.auditDir, { since: bound.ms }), { bucket, since: bound.ms, until });
    return { form, metric, report, error: undefined };
  };
  router.get('/volume', async (req, res) => {
    try {
      const v = await volume(req);
      send(req, res, 'Egress volume per vendor', 'volume', renderVolumeBody(v.report, v.metric, v.form, v.error), v.report ? 200 : 400);
    } catch (error) { failed(req, res, error); }
  });
  router.get('/api/volume', async (req, res) => {
    try {
      const v = await volume(req);
      if (!v.report) res.status(400).json({ error: 'bad-window', detail: v.error ?? '' });
      else res.json({ bucket: v.report.bucket, starts: v.report.starts.map((s) => new Date(s).toISOString()), vendors: v.report.vendors });
    } catch (error) { failed(req, res, error); }
  });

  // --- signed checkpoints ----------------------------------------------------------------------------
  router.get('/checkpoints', async (req, res) => {
    try {
      send(req, res, 'Signed checkpoints', 'checkpoints', renderCheckpointsBody(await readCheckpointStatus(deps.auditDir)));
    } catch (error) { failed(req, res, error); }
  });
  router.get('/api/checkpoints', async (req, res) => {
    try { res.json({ chains: await readCheckpointStatus(deps.auditDir) }); } catch (error) { failed(req, res, error); }
  });

  // --- policy digests and reload ---------------------------------------------------------------------
  router.get('/status', async (req, res) => {
    const a = accessOf(req);
    send(req, res, 'Policies in force and reload', 'status', renderStatusBody(await deps.readiness(), a.via === 'session' ? a.session.csrf : undefined));
  });
  router.get('/api/status', async (_req, res) => { res.json(await deps.readiness()); });
  router.post('/reload', form, (req, res, next) => gate.requireCsrf(req, res, next), async (_req, res) => {
    // The outcome shows on the status page as the last reload (post, redirect, get: no resubmission).
    await deps.reload();
    res.redirect(303, `${CONSOLE_BASE}/status`);
  });

  router.use((req, res) => {
    if (req.path.startsWith('/api/')) res.status(404).json({ error: 'not-found', detail: 'no such console endpoint' });
    else send(req, res, 'Not found', undefined, html`<p>No such console page. <a href="${CONSOLE_BASE}/records">Egress records</a></p>`, 404);
  });
  return router;
}
