/**
 * telegate's own log (pino, JSON lines on stdout): one line per request with vendor, level, decision,
 * status and latency. Call sites pass only those fields; never a header, body value or the hash key.
 * The redaction list is a second line of defence should a future call site pass a request object.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { safeStdout } from './log-destination';

/** Members that would hold a request's secrets, wherever a call site puts them. */
const REDACTED_MEMBERS = ['req.headers', 'headers', 'body', 'key', 'token'];
/** The same one level down, for an object of any name passed as a field. */
const REDACTED_NESTED = ['*.authorization'];
const CENSOR = '[redacted]';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'telegate' },
    redact: { paths: [...REDACTED_MEMBERS, ...REDACTED_NESTED], censor: CENSOR },
  };
  return pino(options, destination ?? safeStdout());
}

/** A request line's fields: scalars only, so no object (a request, its headers) can ride along. */
export type RequestLogFields = Readonly<Record<string, string | number | undefined>>;

export type RequestLog = (fields: RequestLogFields, message: string) => void;

/**
 * The per-request line. Its fields cannot nest (RequestLogFields), so the wildcard path, which walks
 * every member of every line (about two thirds of a line's cost), has nothing to find here; the
 * member paths stay. Same stream, level and base fields as `logger`.
 */
export function createRequestLog(logger: Logger): RequestLog {
  const child = logger.child({}, { redact: { paths: REDACTED_MEMBERS, censor: CENSOR } });
  return (fields, message) => child.info(fields, message);
}
