/** The page shell every console view shares: head, navigation, the open-console notice, logout. */
import { CONSOLE_BASE, type ConsoleAccess } from './console-access';
import { html, type Html } from './html';

export type NavKey = 'records' | 'drift' | 'policies' | 'volume' | 'checkpoints' | 'status';

const NAV: readonly { key: NavKey; href: string; label: string }[] = [
  { key: 'records', href: `${CONSOLE_BASE}/records`, label: 'Egress records' },
  { key: 'drift', href: `${CONSOLE_BASE}/drift`, label: 'Drift' },
  { key: 'policies', href: `${CONSOLE_BASE}/policies`, label: 'Policy matrix' },
  { key: 'volume', href: `${CONSOLE_BASE}/volume`, label: 'Volume' },
  { key: 'checkpoints', href: `${CONSOLE_BASE}/checkpoints`, label: 'Checkpoints' },
  { key: 'status', href: `${CONSOLE_BASE}/status`, label: 'Policies & reload' },
];

export const OPEN_NOTICE = 'Open console: no admin token is configured and the admin port listens on loopback only, so anyone on this machine can read these pages. Configure admin.token to require a login.';

export interface PageOptions {
  title: string;
  active?: NavKey;
  /** Absent on the login page (nobody is in yet). */
  access?: ConsoleAccess;
}

export function renderPage(options: PageOptions, body: Html): string {
  const a = options.access;
  const nav = a === undefined ? null : html`<nav aria-label="Console"><ul>${NAV.map((n) =>
    html`<li><a href="${n.href}"${n.key === options.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>`;
  const logout = a?.via === 'session' && a.session.authenticated
    ? html`<form method="post" action="${CONSOLE_BASE}/logout"><input type="hidden" name="_csrf" value="${a.session.csrf}"><button type="submit">Log out</button></form>`
    : null;
  const open = a?.mode === 'open' ? html`<p class="notice" role="note">${OPEN_NOTICE}</p>` : null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · telegate console</title>
<link rel="stylesheet" href="${CONSOLE_BASE}/assets/console.css">
</head>
<body>
<header class="top"><span class="brand">telegate console</span>${nav}${logout}</header>
<main id="main">
${open}
<h1>${options.title}</h1>
${body}
</main>
</body>
</html>
`.text;
}
