/** Why a file could not be read, in words (`no such file`), not as the system's code (`ENOENT`). */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a folder on its path is a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined) return WORDS[code] ?? `cannot be read (${code})`;
  return error instanceof Error ? error.message : String(error);
}
