/**
 * Posts a checkpoint note to the configured witness (`audit.checkpoint.witness_url`, SPEC §6.1) as
 * `text/plain`. A 2xx answer counts as accepted; any other answer, a redirect, a network error or no
 * answer within the timeout does not. The caller posts in the background: no request waits for this.
 */
import type { WitnessOutcome } from '../audit/tlog/checkpointer';

const WITNESS_TIMEOUT_MS = 10_000;

export function witnessPoster(url: string, timeoutMs = WITNESS_TIMEOUT_MS): (note: string) => Promise<WitnessOutcome> {
  return async (note) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: note,
        // A witness that moved must be reconfigured, not followed: the note goes where the operator said.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Its answer is not read: only the status matters, and a large body must not be buffered.
      await response.body?.cancel().catch(() => undefined);
      return { accepted: response.status >= 200 && response.status < 300, status: response.status };
    } catch (error) {
      return { accepted: false, error: describe(error) };
    }
  };
}

function describe(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
