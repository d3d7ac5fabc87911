/** Where a command writes. Commands take it as a parameter so tests run them in-process. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: NodeJS.ReadableStream;
  /**
   * True once nobody reads stdout any more (`telegate … | head -1` after head exited). A command that
   * streams a long scan may stop early; every other one simply finishes, its output dropped.
   */
  stdoutClosed?(): boolean;
}

/**
 * Output into a closed pipe ends quietly (SPEC §7): Node ignores SIGPIPE, so a write to a pipe whose
 * reader is gone fails with EPIPE, emitted as an 'error' event that would otherwise end the process with
 * a stack trace. From the first such error on, writes to that stream are dropped and the command keeps
 * its own exit code, so `set -o pipefail` still sees a failed check. Any other write error (a full disk
 * under a redirect) is said once on stderr and makes a successful command exit 1: its output is not whole.
 */
class GuardedStream {
  private guarded = false;
  closed = false;
  failure: string | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  write(text: string): void {
    if (!this.guarded) {
      this.guarded = true;
      this.stream.on('error', (error: NodeJS.ErrnoException) => {
        this.closed = true;
        if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') this.failure ??= error.code ?? error.message;
      });
    }
    if (!this.closed) this.stream.write(text);
  }
}

const out = new GuardedStream(process.stdout);
const err = new GuardedStream(process.stderr);

export const processIO: CliIO = {
  stdout: (text) => out.write(text),
  stderr: (text) => err.write(text),
  stdin: process.stdin,
  stdoutClosed: () => out.closed,
};

/** The exit code once the command is done: a lost (not merely unread) stdout turns success into 1. */
export function finalExitCode(io: CliIO, code: number): number {
  if (io !== processIO || out.failure === undefined || code !== EXIT_OK) return code;
  err.write(`telegate: the output could not be written (${out.failure})\n`);
  return EXIT_CHECK_FAILED;
}

/** Exit codes (SPEC §7): 0 success, 1 a check failed, 2 bad usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;
