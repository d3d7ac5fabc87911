/**
 * Where telegate's own log goes: stdout, through pino's SonicBoom, made safe for a full disk.
 *
 * With stdout redirected to a file on a disk that fills up, pino's default destination crashes the
 * process on EFBIG/ENOSPC, or hangs its exit flush retrying, so SIGTERM never completes; a plain error
 * listener instead keeps every unwritten line in memory. telegate's log is diagnostics (the audit log is
 * the evidence, and it fails closed on its own), so on a write error lines are dropped and counted, and
 * writing is tried again after a pause with a fresh stream. Backpressure (EAGAIN on a pipe) is not an
 * error: SonicBoom retries it as before.
 */
import pino, { type DestinationStream } from 'pino';

const RETRY_AFTER_MS = 30_000;

export interface SafeDestination extends DestinationStream {
  /** Lines dropped because stdout could not be written. */
  readonly dropped: number;
}

export function safeStdout(fd = 1): SafeDestination {
  let stream = open();
  let broken = false;
  let dropped = 0;

  function open(): ReturnType<typeof pino.destination> {
    const s = pino.destination({ dest: fd, sync: true });
    s.on('error', () => {
      if (broken) return;
      broken = true;
      // What SonicBoom still holds would be retried and grow without bound: let it go with the stream.
      setTimeout(() => {
        broken = false;
        stream = open();
      }, RETRY_AFTER_MS).unref();
    });
    return s;
  }

  return {
    get dropped() { return dropped; },
    write(line: string): void {
      if (broken) {
        dropped++;
        return;
      }
      stream.write(line);
    },
  };
}
