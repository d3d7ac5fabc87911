/**
 * Headers on every console response. The pages show audit data (sensitive, and partly chosen by clients),
 * so: no script at all (CSP allows only same-origin assets, and the console serves no script), no framing,
 * no caching anywhere, no MIME sniffing, no referrer carrying request ids to other sites (`same-origin`, not `no-referrer`: with
 * no-referrer a browser sends `Origin: null` on the console's own form posts, and the CSRF check reads Origin).
 */
import type { NextFunction, Request, Response } from 'express';

export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function consoleSecurityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
  next();
}
