/**
 * Policy errors as values. Every error names the file, a 1-based line and column and, where there is one,
 * the offending key, so `telegate policy check` output can be followed straight to the line to fix.
 */
import type { PolicyError, PolicyWarning, SourcePosition } from './types';

/** The stable `code` of each kind of policy error. */
export type PolicyErrorCode =
  | 'io'                 // the file or folder cannot be read
  | 'encoding'           // the file is not UTF-8
  | 'yaml'               // YAML syntax
  | 'duplicate-key'      // the same YAML key twice in one mapping
  | 'schema'             // the JSON Schema of the policy format
  | 'unknown-action'
  | 'path-syntax'
  | 'duplicate-rule'     // the same field path twice after normalising quoting
  | 'hash-on-container'  // `hash` on a path that other rules descend into
  | 'vendor-name'        // `vendor` differs from the file name
  | 'endpoint-path'
  | 'upstream'
  | 'forbidden-header'   // a header telegate never lets pass
  | 'duplicate-vendor'   // two files of one set define the same vendor
  | 'duplicate-host'     // two vendors of one set claim the same host
  | 'no-policies'        // a folder without any policy file
  | 'level-order'        // level 1 sends something level 2 does not (policy check's level lint)
  | 'constraint'         // a value constraint that cannot be compiled or means nothing where it is
  | 'constraint-on-container' // a value constraint on a path that other rules descend into
  | 'needs-reason';      // `subtree: true` or a detector opt-out without `reason`

export function policyError(
  code: PolicyErrorCode, at: SourcePosition, message: string, key?: string,
): PolicyError {
  const error: PolicyError = { file: at.file, line: at.line, column: at.column, code, message };
  if (key !== undefined) error.key = key;
  return error;
}

/** `file:line:col: message`, the form editors and CI annotations understand. */
export function formatPolicyError(e: PolicyError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** `file:line:col: warning: message`. */
export function formatPolicyWarning(w: PolicyWarning): string {
  return `${w.file}:${w.line}:${w.column}: warning: ${w.message}`;
}

/** Errors in reading order: by file, then line, then column. */
export function sortPolicyErrors(errors: PolicyError[]): PolicyError[] {
  return errors.sort((a, b) =>
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
}

/** Quote a key or path for a message, so that spaces and empty keys stay visible. */
export function quoted(text: string): string {
  return JSON.stringify(text);
}
