/**
 * Who may use the console (SPEC §8: audit data needs the token once the port leaves loopback; the console
 * asks for it whenever one is configured, loopback or not):
 *   - token configured: a session from the login form, or `Authorization: Bearer <token>`;
 *   - no token, admin port on loopback: open, with an anonymous session that only carries a CSRF token,
 *     and only for a Host header that names loopback (a DNS-rebinding page cannot read it by another name);
 *   - no token, admin port elsewhere: refused (403).
 * The token is compared as a SHA-256 digest with timingSafeEqual: equal lengths, constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { isLoopbackHost } from '../../config/loopback';
import { ConsoleSessions, SESSION_COOKIE, cookieValue, csrfMatches, type ConsoleSession } from './console-sessions';

export const CONSOLE_BASE = '/console';

export type ConsoleMode = 'token' | 'open' | 'refused';

/** How a request got in: a session (forms carry its CSRF token) or a bearer token (no cookie, no CSRF). */
export type ConsoleAccess =
  | { via: 'session'; session: ConsoleSession; mode: ConsoleMode }
  | { via: 'bearer'; mode: ConsoleMode };

const access = new WeakMap<Request, ConsoleAccess>();

export function accessOf(req: Request): ConsoleAccess {
  const a = access.get(req);
  if (!a) throw new Error('console route reached without the access check');
  return a;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export interface ConsoleGate {
  mode: ConsoleMode;
  sessions: ConsoleSessions;
  /** Whether `given` is the admin token (false when none is configured). */
  tokenMatches(given: string): boolean;
  /** Checks access; answers the refusal itself, or calls next. `onUnauthenticated` renders the login answer (401). */
  require(onUnauthenticated: (req: Request, res: Response) => void): (req: Request, res: Response, next: NextFunction) => void;
  /** A same-origin POST carrying the session's CSRF token (bearer requests carry no cookie and need none). */
  requireCsrf(req: Request, res: Response, next: NextFunction): void;
  startSession(res: Response, authenticated: boolean): ConsoleSession;
  endSession(req: Request, res: Response): void;
}

export function isJsonPath(req: Request): boolean {
  return req.path.startsWith('/api/');
}

function refuse(req: Request, res: Response, status: number, error: string, detail: string): void {
  if (isJsonPath(req)) res.status(status).json({ error, detail });
  else res.status(status).type('text/plain').send(`${detail}\n`);
}

/** The Host header names this machine (open mode only answers under loopback names). */
function loopbackHostHeader(req: Request): boolean {
  const host = req.headers.host;
  if (host === undefined) return false;
  try {
    return isLoopbackHost(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/**
 * A browser POST from another origin says so in Sec-Fetch-Site or Origin; refuse those. `Origin: null`
 * (a sandboxed frame, a privacy setting) cannot show it is ours, so it passes only when Sec-Fetch-Site
 * vouches for it. A client that sends neither header is not a browser another site can steer.
 */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return site === 'same-origin';
  return origin === `http://${req.headers.host ?? ''}`;
}

export function createConsoleGate(token: string | undefined, loopbackOnly: boolean, sessions = new ConsoleSessions()): ConsoleGate {
  const expected = token === undefined ? undefined : digest(token);
  const mode: ConsoleMode = expected !== undefined ? 'token' : loopbackOnly ? 'open' : 'refused';
  const tokenMatches = (given: string): boolean => expected !== undefined && given !== '' && timingSafeEqual(digest(given), expected);

  const startSession = (res: Response, authenticated: boolean): ConsoleSession => {
    const { id, session } = sessions.create(authenticated);
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', path: CONSOLE_BASE, maxAge: sessions.maxAgeSeconds() * 1000 });
    return session;
  };

  return {
    mode,
    sessions,
    tokenMatches,
    startSession,
    require(onUnauthenticated) {
      return (req, res, next) => {
        if (mode === 'refused') {
          refuse(req, res, 403, 'token-required', 'The admin port is not on loopback and no admin token is configured: the console is refused. Configure admin.token (TELEGATE_ADMIN_TOKEN).');
          return;
        }
        const cookieId = cookieValue(req.headers.cookie, SESSION_COOKIE);
        if (mode === 'open') {
          if (!loopbackHostHeader(req)) {
            refuse(req, res, 403, 'loopback-only', 'The open console answers only to loopback host names (127.0.0.1, [::1], localhost).');
            return;
          }
          const session = sessions.get(cookieId) ?? startSession(res, false);
          access.set(req, { via: 'session', session, mode });
          next();
          return;
        }
        const header = req.headers.authorization ?? '';
        if (/^bearer /i.test(header)) {
          if (tokenMatches(header.slice('bearer '.length).trim())) {
            access.set(req, { via: 'bearer', mode });
            next();
          } else {
            res.set('www-authenticate', 'Bearer');
            refuse(req, res, 401, 'unauthorized', 'The admin token is not valid.');
          }
          return;
        }
        const session = sessions.get(cookieId);
        if (session?.authenticated === true) {
          access.set(req, { via: 'session', session, mode });
          next();
          return;
        }
        if (isJsonPath(req)) {
          res.set('www-authenticate', 'Bearer');
          refuse(req, res, 401, 'unauthorized', 'A valid admin token is required (Authorization: Bearer <token>, or log in at /console/login).');
          return;
        }
        onUnauthenticated(req, res);
      };
    },
    requireCsrf(req, res, next) {
      const a = access.get(req);
      if (a?.via === 'bearer') return next();
      const body = req.body as Record<string, unknown> | undefined;
      if (a?.via === 'session' && sameOrigin(req) && csrfMatches(a.session, body?.['_csrf'])) return next();
      refuse(req, res, 403, 'csrf', 'This form is stale or came from another site: reload the page and try again.');
    },
    endSession(req, res) {
      sessions.end(cookieValue(req.headers.cookie, SESSION_COOKIE));
      res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: CONSOLE_BASE });
    },
  };
}
