/**
 * The admin port (SPEC §8): liveness, readiness with the policy digests, Prometheus metrics, reload.
 * It binds to loopback by default. What changes state (POST /reload) needs the admin token whenever one
 * is configured, and is refused outright off loopback without one: a reload endpoint open to the network
 * lets anyone who can reach it swap policies in from a writable folder.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { createConsoleRouter } from './console/console-router';
import type { PolicySet } from '../policy/types';

export interface ReadinessReport {
  ready: boolean;
  audit: { writable: boolean };
  policies: { vendor: string; file: string; digest: string; level: number; upstream: string }[];
  loaded_at: string | null;
  last_reload: { ok: boolean; at: string; errors?: string[] } | null;
  /** With `workers` > 1: each worker's state (the report is ready only when every worker is). */
  workers?: WorkerReadiness[];
}

export interface WorkerReadiness {
  worker: number;
  /** null while the worker is being (re)started. */
  pid: number | null;
  ready: boolean;
  audit_writable: boolean;
}

/** Where /metrics comes from: one process's registry, or every worker's summed (src/cluster). */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export interface AdminDeps {
  metrics: MetricsSource;
  /** Asynchronous when the state lives in worker processes (src/cluster). */
  readiness: () => ReadinessReport | Promise<ReadinessReport>;
  reload: () => Promise<{ ok: boolean; errors?: string[] }>;
  /** undefined: no token configured. */
  token: string | undefined;
  loopbackOnly: boolean;
  /** The web console under /console (absent: not mounted): where the audit log is, and the policy set in force. */
  console?: { auditDir: string; policySet: () => PolicySet | undefined };
}

export function createAdminApp(deps: AdminDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });

  app.get('/readyz', async (_req, res) => {
    const report = await deps.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
    } catch (error) {
      next(error);
    }
  });

  app.post('/reload', requireToken(deps), async (_req, res) => {
    const outcome = await deps.reload();
    if (outcome.ok) res.json({ ok: true, policies: (await deps.readiness()).policies });
    else res.status(422).json({ error: 'policy-invalid', detail: 'the policy set was refused whole; the running one stays', errors: outcome.errors ?? [] });
  });

  if (deps.console) {
    app.use('/console', createConsoleRouter({ ...deps.console, readiness: deps.readiness, reload: deps.reload, token: deps.token, loopbackOnly: deps.loopbackOnly }));
  }

  app.use((_req: Request, res: Response) => { res.status(404).json({ error: 'not-found', detail: 'admin endpoints: /healthz /readyz /metrics POST /reload /console/' }); });
  app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: 'internal-error', detail: 'the admin request failed' });
  });
  return app;
}

function requireToken(deps: AdminDeps) {
  const expected = deps.token === undefined ? undefined : digest(deps.token);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (expected === undefined) {
      if (deps.loopbackOnly) return next();
      res.status(403).json({ error: 'token-required', detail: 'the admin port is not on loopback: configure admin.token (TELEGATE_ADMIN_TOKEN) to use this endpoint' });
      return;
    }
    const header = req.headers.authorization ?? '';
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    const given = /^bearer /i.test(header) ? header.slice('bearer '.length).trim() : '';
    // Compare digests: equal length always, so the comparison time says nothing about the token.
    if (given !== '' && timingSafeEqual(digest(given), expected)) return next();
    res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized', detail: 'a valid admin token is required (Authorization: Bearer <token>)' });
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
