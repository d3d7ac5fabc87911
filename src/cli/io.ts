/** Where a command writes. Commands take it as a parameter so tests run them in-process. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: NodeJS.ReadableStream;
}

export const processIO: CliIO = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
  stdin: process.stdin,
};

/** Exit codes (SPEC §7): 0 success, 1 a check failed, 2 bad usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;
