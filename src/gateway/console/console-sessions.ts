/**
 * Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, and per session a CSRF token that
 * every state-changing form carries. Only a digest of the id is kept, so a map lookup's timing says
 * nothing about valid ids, and a heap dump holds no usable cookie. Sessions end after a fixed lifetime;
 * the store is bounded (the oldest go first), so an unauthenticated client cannot grow it without limit.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSession {
  /** Whether the admin token was given (false: an open console's anonymous session, which holds only a CSRF token). */
  authenticated: boolean;
  csrf: string;
  expiresAt: number;
}

export const SESSION_COOKIE = 'telegate_console';
const LIFETIME_MS = 8 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;

const idDigest = (id: string): string => createHash('sha256').update(id, 'utf8').digest('base64url');

export class ConsoleSessions {
  private readonly byDigest = new Map<string, ConsoleSession>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new session and the id to put in the cookie. */
  create(authenticated: boolean): { id: string; session: ConsoleSession } {
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { authenticated, csrf: randomBytes(32).toString('base64url'), expiresAt: this.now() + LIFETIME_MS };
    while (this.byDigest.size >= MAX_SESSIONS) {
      const oldest = this.byDigest.keys().next();
      if (oldest.done === true) break;
      this.byDigest.delete(oldest.value);
    }
    this.byDigest.set(idDigest(id), session);
    return { id, session };
  }

  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined || id === '') return undefined;
    const key = idDigest(id);
    const session = this.byDigest.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.byDigest.delete(key);
      return undefined;
    }
    return session;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.byDigest.delete(idDigest(id));
  }

  maxAgeSeconds(): number {
    return Math.floor(LIFETIME_MS / 1000);
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(session.csrf, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
