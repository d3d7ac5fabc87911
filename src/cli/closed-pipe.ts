/**
 * Output into a closed pipe (`telegate audit prove … | head -1`) ends the command quietly: the reader is
 * gone, so an EPIPE on stdout is not an error worth a stack trace. Installed by the commands that print
 * proofs and checkpoints; any other stream error still surfaces.
 */
const INSTALLED = Symbol.for('telegate.quietOnClosedPipe');

export function quietOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  const marked = stream as NodeJS.WriteStream & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return;
  marked[INSTALLED] = true;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
