/**
 * Terminal emphasis for human-readable output. Colour only when writing to a real terminal, and never
 * when NO_COLOR is set (https://no-color.org), so piped output, CI logs and tests stay plain text.
 */
import { processIO, type CliIO } from './io';

export interface Style {
  ok(text: string): string;
  fail(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  /** A third emphasis beside ok/fail/warn (explain's unknown fields). */
  note(text: string): string;
}

const plain = (text: string): string => text;
const PLAIN: Style = { ok: plain, fail: plain, warn: plain, dim: plain, bold: plain, note: plain };

const sgr = (code: string) => (text: string): string => `\u001b[${code}m${text}\u001b[0m`;
const COLOUR: Style = { ok: sgr('32'), fail: sgr('31'), warn: sgr('33'), dim: sgr('2'), bold: sgr('1'), note: sgr('35') };

export function styleFor(io: CliIO): Style {
  const terminal = io === processIO && process.stdout.isTTY === true;
  const noColor = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';
  return terminal && !noColor ? COLOUR : PLAIN;
}
