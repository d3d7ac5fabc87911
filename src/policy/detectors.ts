/**
 * Detectors: the safety net under the rules. A string that leaves as sent is scanned for what no
 * anonymous telemetry value holds (level 1) and for credentials (every level); a value in which a
 * detector finds something is removed whole and reported under `redacted`, by path and detector kind.
 * Never the match: nothing found is written anywhere.
 *
 * The table follows Sentry Relay's relay-pii (`builtin.rs`, `regexes.rs`): named kinds, each a pattern.
 * Unlike it, every pattern here runs on RE2 (re2js): linear in the string whatever it holds, so a value
 * crafted against a detector costs what its length costs.
 *
 * A whole value, not the span: a value that held an address or a token is not what the vendor's source
 * sends there, the text around a match identifies as well (`jane's laptop`), and SPEC §5 promises that a
 * value which passes is not altered. Removing it is what default deny does with every other surprise.
 *
 * Cost: most telemetry strings (words, versions, timestamps, counts) are cleared by one pass over their
 * characters that notes what every kind needs at least (an `@`, three dots, two colons, `//`, a run of
 * twelve digits, the length of a token); only strings that have it meet the patterns.
 */
import { DETECTOR_KINDS, detectorBit } from './detector-kinds';
import { compileSearch } from './re2-pattern';
import type { DetectorKind } from './types';

/** What one pass over a string notes, for the kinds' preconditions (one object, reused: no allocation per string). */
interface Features {
  length: number;
  at: boolean;
  dots: number;
  colons: number;
  doubleColon: boolean;
  slashes: boolean;
  digitRun: number;
  /** The longest run of [A-Z2-7] (an AWS key id has 16 after its prefix). */
  upperRun: number;
}

interface Detector {
  kind: DetectorKind;
  /** A cheap necessary condition: false means the kind cannot occur in the string. */
  may: (f: Features, text: string) => boolean;
  found: (text: string) => boolean;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]|0[0-9]{1,2})';
const H = '[0-9A-Fa-f]{1,4}';
/** RFC 4291 §2.2 text forms (full, compressed, IPv4-embedded), as the usual alternation. */
const IPV6 = [
  `(?:${H}:){7}${H}`, `(?:${H}:){1,7}:`, `(?:${H}:){1,6}:${H}`, `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`, `(?:${H}:){1,3}(?::${H}){1,4}`, `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`, `:(?:(?::${H}){1,7}|:)`,
  `(?:${H}:){6}${OCTET}(?:\\.${OCTET}){3}`, `(?:${H}:){0,5}:(?:${H}:){0,4}${OCTET}(?:\\.${OCTET}){3}`,
].join('|');
const WWW = /www\./i;
/** Strings shorter than this hold no token of the kinds below (the shortest, AKIA + 16, is 20). */
const TOKEN_MIN = 15;

const TABLE: readonly Detector[] = [
  // PEM armour of any block: private keys, certificates, requests; none is telemetry.
  { kind: 'pem', may: (f, t) => f.length >= 20 && t.includes('-----BEGIN '), found: compileSearch('-----BEGIN [A-Z0-9 ]{1,64}-----') },
  // JWS/JWE compact form: the header is base64url JSON, so it starts `eyJ` ({").
  { kind: 'jwt', may: (f, t) => f.length >= 20 && f.dots >= 2 && t.includes('eyJ'), found: compileSearch('eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{2,}\\.') },
  // user:password in a URL's authority (Go turns it into Basic auth).
  { kind: 'url_credentials', may: (f) => f.at && f.slashes, found: compileSearch('//[^\\s/?#@:]*:[^\\s/?#@]*@') },
  { kind: 'bearer', may: (f, t) => f.length >= TOKEN_MIN && /bearer/i.test(t), found: compileSearch('\\bbearer\\s+[A-Za-z0-9._~+/=-]{8,}', true) },
  { kind: 'github_token', may: (f, t) => f.length >= 33 && t.includes('_') && (t.includes('gh') || t.includes('github_pat_')), found: compileSearch('\\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})') },
  { kind: 'gitlab_token', may: (f, t) => f.length >= 26 && t.includes('gl'), found: compileSearch('\\bgl(?:pat|dt|rt|ptt|cbt|imt|soat|ffct|agent|oas|ft|wt)-[A-Za-z0-9_-]{20,}') },
  { kind: 'aws_access_key', may: (f) => f.length >= 20 && f.upperRun >= 20, found: compileSearch('\\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}\\b') },
  { kind: 'slack_token', may: (f, t) => f.length >= TOKEN_MIN && (t.includes('xox') || t.includes('xapp-') || t.includes('hooks.slack.com')), found: compileSearch('\\bxox[abposre]-[A-Za-z0-9-]{10,}|\\bxapp-[0-9]-[A-Za-z0-9-]{10,}|hooks\\.slack\\.com/(?:services|workflows|triggers)/') },
  { kind: 'google_api_key', may: (f, t) => f.length >= 39 && t.includes('AIza'), found: compileSearch('\\bAIza[0-9A-Za-z_-]{35}') },
  { kind: 'npm_token', may: (f, t) => f.length >= 40 && t.includes('npm_'), found: compileSearch('\\bnpm_[A-Za-z0-9]{36}') },
  // Unicode letters on both sides (IDN mailboxes); the domain ends in a label that starts with a letter,
  // so `pkg@1.2.3` is not an address.
  {
    kind: 'email',
    may: (f) => f.at && f.dots >= 1,
    found: compileSearch("[\\p{L}\\p{N}\\p{M}.!#$%&'*+/=?^_`{|}~-]+@[\\p{L}\\p{N}\\p{M}-]+(?:\\.[\\p{L}\\p{N}\\p{M}-]+)*\\.\\p{L}[\\p{L}\\p{N}\\p{M}-]*"),
  },
  // A URL with an authority (a host, or credentials), any scheme; `www.` names a host without one.
  { kind: 'url', may: (f, t) => f.slashes || (f.dots >= 2 && WWW.test(t)), found: compileSearch('[A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#]|\\bwww\\.[\\p{L}\\p{N}-]+\\.', true) },
  // Four octets not inside a longer run of digits (`1.2.3.4` in `v1.2.3.4` or `ip=1.2.3.4` alike).
  { kind: 'ipv4', may: (f) => f.dots >= 3, found: compileSearch(`(?:^|[^0-9])${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}(?:[^0-9]|$)`) },
  // Not inside a word or a number (`std::vector`), but after any punctuation, colons too, so extra
  // groups in front (`0:1:2:3:4:5:6:7:8`) do not hide the address behind them.
  { kind: 'ipv6', may: (f) => f.doubleColon || f.colons >= 7, found: compileSearch(`(?:^|[^0-9A-Za-z])(?:${IPV6})(?:[^0-9A-Za-z]|$)`) },
  { kind: 'aws_arn', may: (f, t) => f.colons >= 3 && t.includes('arn:aws'), found: compileSearch('\\barn:aws[a-z-]{0,16}:[a-z0-9-]{0,64}:') },
  // Twelve digits standing alone: not a part of a longer number, a decimal, a UUID or a version.
  { kind: 'aws_account_id', may: (f) => f.digitRun === 12 || f.digitRun > 12, found: compileSearch('(?:^|[^0-9A-Za-z._-])[0-9]{12}(?:[^0-9A-Za-z._-]|$)') },
];

if (TABLE.map((d) => d.kind).join() !== DETECTOR_KINDS.join()) throw new Error('detectors.ts and detector-kinds.ts disagree');

const BITS = TABLE.map((d) => detectorBit(d.kind));

const f: Features = { length: 0, at: false, dots: 0, colons: 0, doubleColon: false, slashes: false, digitRun: 0, upperRun: 0 };

function features(text: string): Features {
  let at = false;
  let dots = 0;
  let colons = 0;
  let doubleColon = false;
  let slashes = false;
  let digitRun = 0;
  let run = 0;
  let upperRun = 0;
  let upper = 0;
  let previous = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x32 && c <= 0x37)) {
      upper++;
      if (upper > upperRun) upperRun = upper;
    } else {
      upper = 0;
    }
    if (c >= 0x30 && c <= 0x39) {
      run++;
      if (run > digitRun) digitRun = run;
    } else {
      run = 0;
      if (c === 0x2e) dots++;
      else if (c === 0x3a) {
        colons++;
        if (previous === 0x3a) doubleColon = true;
      } else if (c === 0x40) at = true;
      else if (c === 0x2f && previous === 0x2f) slashes = true;
    }
    previous = c;
  }
  f.length = text.length; f.at = at; f.dots = dots; f.colons = colons; f.doubleColon = doubleColon;
  f.slashes = slashes; f.digitRun = digitRun; f.upperRun = upperRun;
  return f;
}

/** A UUID's text form holds nothing any detector looks for; the most common id string is cleared at once. */
function uuidShaped(text: string): boolean {
  return text.length === 36 && text.charCodeAt(8) === 0x2d && text.charCodeAt(13) === 0x2d
    && text.charCodeAt(18) === 0x2d && text.charCodeAt(23) === 0x2d && /^[0-9a-fA-F-]{36}$/.test(text);
}

/**
 * The first kind in `mask` (bits of detector-kinds.ts) found in `text`, or null. Short strings with
 * none of the characters any kind needs cost one loop.
 */
export function detect(text: string, mask: number): DetectorKind | null {
  if (mask === 0 || text.length < 3 || uuidShaped(text)) return null;
  const f = features(text);
  // Short strings need an `@`, three dots, two colons, `//` or twelve digits to hold anything (a version
  // like 1.1.5 has none of them).
  if (f.length < TOKEN_MIN && !f.at && f.dots < 3 && f.colons < 2 && !f.slashes && f.digitRun < 12) return null;
  for (let i = 0; i < TABLE.length; i++) {
    const d = TABLE[i]!;
    if ((mask & BITS[i]!) !== 0 && d.may(f, text) && d.found(text)) return d.kind;
  }
  return null;
}
