/** The login form: the admin token, posted once, traded for a session cookie. */
import { CONSOLE_BASE } from './console-access';
import { html, type Html } from './html';

export function renderLoginBody(next: string, failed: boolean): Html {
  return html`<form class="login" method="post" action="${CONSOLE_BASE}/login">
${failed ? html`<p id="login-error" role="alert" class="error">That token is not valid.</p>` : ''}
<p>The console shows audit data and needs the gateway's admin token (admin.token or TELEGATE_ADMIN_TOKEN).</p>
<div><label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="current-password" required${failed ? html` aria-invalid="true" aria-describedby="login-error"` : ''}></div>
<input type="hidden" name="next" value="${next}">
<div><button type="submit">Log in</button></div>
</form>`;
}

/** Only a console path is a place to go back to after login (never another site). */
export function safeNext(text: unknown): string {
  if (typeof text !== 'string') return `${CONSOLE_BASE}/records`;
  if (!text.startsWith(`${CONSOLE_BASE}/`) || text.startsWith('//') || text.includes('\\') || /[\u0000-\u001f]/.test(text)) return `${CONSOLE_BASE}/records`;
  return text;
}
