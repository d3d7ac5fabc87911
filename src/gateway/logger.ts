/**
 * telegate's own log (pino, JSON lines on stdout): one line per request with vendor, level, decision,
 * status and latency. Call sites pass only those fields; never a header, body value or the hash key.
 * The redaction list is a second line of defence should a future call site pass a request object.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { safeStdout } from './log-destination';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'telegate' },
    redact: { paths: ['req.headers', 'headers', 'body', 'key', 'token', '*.authorization'], censor: '[redacted]' },
  };
  return pino(options, destination ?? safeStdout());
}
