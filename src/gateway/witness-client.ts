/**
 * Posts a checkpoint note to the configured witness (`audit.checkpoint.witness_url`, SPEC §6.1) as
 * `text/plain`. A 2xx answer counts as accepted; any other answer (a redirect too: the note goes where
 * the operator said, not where a server points), a network error or no answer within the timeout does
 * not. One connection per post, closed after it (a checkpoint a minute needs no pool, and nothing is
 * left open when the gateway stops). The caller posts in the background: no request waits for this.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WitnessOutcome } from '../audit/tlog/checkpointer';

const WITNESS_TIMEOUT_MS = 10_000;

export function witnessPoster(url: string, timeoutMs = WITNESS_TIMEOUT_MS): (note: string) => Promise<WitnessOutcome> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return (note) => new Promise<WitnessOutcome>((resolve) => {
    const body = Buffer.from(note, 'utf8');
    let settled = false;
    const settle = (outcome: WitnessOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(target, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), connection: 'close' },
    }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      // Its answer is not read: only the status matters, and a large body must not be buffered.
      res.resume();
      res.on('error', () => undefined);
      settle({ accepted: status >= 200 && status < 300, status });
      res.destroy();
    });
    const timer = setTimeout(() => {
      settle({ accepted: false, error: 'no answer in time' });
      req.destroy();
    }, timeoutMs);
    timer.unref();
    req.on('error', (error: NodeJS.ErrnoException) => settle({ accepted: false, error: error.code ?? error.message }));
    req.end(body);
  });
}
