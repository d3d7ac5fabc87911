/**
 * `telegate audit replay --policies DIR [--level N] [filters] [DIR]`: the review a policy pull request
 * needs. A candidate policy set runs over the bodies of the forwarded requests in the audit log (what
 * actually left); the report says, per vendor and endpoint, what would newly leave, stop leaving, become
 * clear or become hashed, and which of the candidate's rules send what the current set does not while no
 * logged request exercised them (src/policy/replay.ts says what a log of already-filtered bodies can and
 * cannot show). The settings no body can show (upstream, hosts, headers, constraints, detectors: see
 * audit-replay-settings.ts) are compared as written. Exit 1 when the candidate would send anything the
 * current set does not, changes any of those settings (a CI gate), or does not load; 2 for bad usage or an
 * unreadable log.
 */
import { scanAll } from '../audit/query/record-scan';
import { egressOf } from '../audit/query/search';
import { matchesEgress, type EgressFilter } from '../audit/query/egress-filter';
import { vendorSettings } from '../config';
import { parseJson } from '../json/parse';
import { formatPolicyError, loadPolicySet, type PolicySet } from '../policy';
import { ReplayComparison, type ChangeKind, type ReplayReport } from '../policy/replay';
import { scanAuditFolder, type AuditLocation } from './audit-folder';
import type { AuditReplayFlags } from './audit-replay-command';
import { compareSettings, describeSetting, type SettingChange } from './audit-replay-settings';
import { cliConfig } from './cli-config';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type CliIO } from './io';

const COMMAND = 'telegate audit replay';
/** Logged bodies were parsed by the gateway within its limits; these only bound a hand-edited log. */
const PARSE_LIMITS = { maxDepth: 512, maxValues: 50_000_000 };

interface Scanned {
  comparison: ReplayComparison;
  skipped: { notForwarded: number; unreadableBody: number };
  /** Policy digests the log's records name, per vendor. */
  digests: Map<string, Set<string>>;
}

export async function runAuditReplay(at: AuditLocation, flags: AuditReplayFlags, io: CliIO): Promise<number> {
  const config = await cliConfig(COMMAND, flags, io);
  if (!config.ok) return config.code;

  const candidate = await loadPolicySet([flags.policies]);
  if (!candidate.ok) {
    for (const error of candidate.errors) io.stderr(`${formatPolicyError(error)}\n`);
    io.stderr(`${COMMAND}: the candidate policies in ${flags.policies} do not load (telegate policy check shows why)\n`);
    return EXIT_CHECK_FAILED;
  }
  const currentFolder = flags.current ?? config.value.policies;
  const current = await loadPolicySet([currentFolder]);
  if (!current.ok && flags.current !== undefined) {
    for (const error of current.errors) io.stderr(`${formatPolicyError(error)}\n`);
    io.stderr(`${COMMAND}: the current policies in ${currentFolder} do not load\n`);
    return EXIT_USAGE;
  }
  if (!current.ok) io.stderr(`${COMMAND}: note: the policies in ${currentFolder} do not load: rules no logged request exercised are not compared\n`);

  const filter: EgressFilter = {};
  if (flags.vendor !== undefined) filter.vendor = flags.vendor;
  if (flags.endpoint !== undefined) filter.endpoint = flags.endpoint;
  if (flags.since !== undefined) filter.since = flags.since;
  if (flags.until !== undefined) filter.until = flags.until;

  const ran = await scanAuditFolder(COMMAND, { dir: at.dir ?? config.value.audit.dir }, io, async (scan, progress): Promise<Scanned> => {
    const comparison = new ReplayComparison(candidate.value, flags.level);
    const skipped = { notForwarded: 0, unreadableBody: 0 };
    const digests = new Map<string, Set<string>>();
    for await (const r of scanAll(scan, progress)) {
      const entry = egressOf(r);
      if (!entry) continue;
      if (!matchesEgress(entry, filter, () => undefined)) continue;
      if (entry.decision !== 'forwarded' || !r.body || (entry.level !== 1 && entry.level !== 2)) {
        skipped.notForwarded++;
        continue;
      }
      const parsed = parseJson(r.bytes.subarray(r.body.start, r.body.end), PARSE_LIMITS);
      if (!parsed.ok) {
        skipped.unreadableBody++;
        continue;
      }
      const seen = digests.get(entry.vendor) ?? new Set<string>();
      seen.add(entry.policy);
      digests.set(entry.vendor, seen);
      // The current set judged this record when its digest is the record's: then it says exactly what was hashed.
      const judgedBy = current.ok && current.value.policies.get(entry.vendor)?.digest === entry.policy
        ? current.value.policies.get(entry.vendor)?.endpoints.get(entry.endpoint) : undefined;
      comparison.add({
        vendor: entry.vendor, endpoint: entry.endpoint, level: entry.level, body: parsed.value,
        hashed: entry.hashed, dropped: entry.dropped, unknown: entry.unknown,
        ...(judgedBy === undefined ? {} : { judgedBy }),
      });
    }
    return { comparison, skipped, digests };
  }, flags.since === undefined ? {} : { since: flags.since });
  if (!ran) return EXIT_USAGE;

  const { comparison, skipped, digests } = ran.result;
  const currentSet = current.ok ? current.value : undefined;
  const report = comparison.report(currentSet, (vendor) => vendorSettings(config.value, vendor).level);
  const settings = currentSet ? compareSettings(currentSet, candidate.value, filter) : [];
  const notes = digestNotes(digests, currentSet);
  if (!currentSet) notes.push('upstream, hosts, headers, constraints and detectors were not compared: the current policies do not load');
  if (skipped.notForwarded > 0) notes.push(`${skipped.notForwarded} matching record(s) sent nothing (blocked or rejected) and were not replayed`);
  if (skipped.unreadableBody > 0) notes.push(`${skipped.unreadableBody} record(s) hold a body that is not JSON (run telegate audit verify)`);

  if (flags.format === 'json') {
    io.stdout(`${JSON.stringify({ candidate: flags.policies, folder: ran.folder, level: flags.level ?? null, ...report, settings, notes })}\n`);
  } else {
    io.stdout(renderText(report, settings, flags, ran.folder, notes));
  }
  return report.widens || settings.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}

function digestNotes(digests: ReadonlyMap<string, ReadonlySet<string>>, current: PolicySet | undefined): string[] {
  const notes: string[] = [];
  for (const [vendor, seen] of [...digests].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const now = current?.policies.get(vendor)?.digest;
    const other = [...seen].filter((d) => d !== now).length;
    if (other > 0) {
      notes.push(`${vendor}: ${other} of the ${seen.size} policy version(s) the records name ${other === 1 ? 'is' : 'are'} not the current one; "when logged" means under the policy of that time, `
        + 'and for those records which values were pseudonyms is read from their report paths, which do not tell discriminated elements apart');
    }
  }
  return notes;
}

const LABEL: Record<ChangeKind, string> = {
  'newly-leaves': 'newly leaves',
  'now-clear': 'now in clear',
  'now-hashed': 'now hashed',
  stops: 'stops leaving',
};

const WHY: Record<ChangeKind, string> = {
  'newly-leaves': 'removed when logged',
  'now-clear': 'hashed when logged',
  'now-hashed': 'clear when logged',
  stops: 'sent when logged',
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function renderText(report: ReplayReport, settings: readonly SettingChange[], flags: AuditReplayFlags, folder: string, notes: readonly string[]): string {
  const lines: string[] = [];
  const level = flags.level === undefined ? 'each at its own level' : `at level ${flags.level}`;
  lines.push(`audit replay: candidate ${flags.policies} over ${plural(report.records, 'forwarded record')} in ${folder}, ${level}`);
  if (report.records === 0) lines.push('no forwarded record with a body matches: nothing to replay');
  const width = Math.max(20, ...report.groups.flatMap((g) => Object.values(g.changes).flat().map((c) => c.path.length)));
  for (const g of report.groups) {
    const changes = (Object.keys(LABEL) as ChangeKind[]).flatMap((k) => g.changes[k].map((c) => ({ kind: k, c })));
    const missing = g.missing === 'vendor' ? ': the candidate has no policy for this vendor, nothing would leave'
      : g.missing === 'endpoint' ? ': the candidate does not declare this endpoint, nothing would leave' : '';
    lines.push(`${g.vendor} ${g.endpoint}: ${plural(g.records, 'record')} (level ${g.levels.join(', ')})${missing}${changes.length === 0 ? ': no change' : ''}`);
    for (const { kind, c } of changes) {
      const as = kind === 'newly-leaves' && c.as !== undefined ? (c.as === 'partly' ? ', some of it (the candidate names fields inside)' : c.as === 'hashed' ? ', as a pseudonym' : ', in clear') : '';
      lines.push(`  ${LABEL[kind].padEnd(14)}${c.path.padEnd(width)}  ${plural(c.values, 'value')} in ${plural(c.requests, 'request')} (${WHY[kind]}${as})`);
    }
  }
  if (report.unexercised.length > 0) {
    lines.push('not exercised by the log: rules under which the candidate sends what the current set does not');
    for (const u of report.unexercised) {
      lines.push(`  ${u.vendor} ${u.endpoint} ${u.path}: ${u.action} at level ${u.level} (${u.position.file}:${u.position.line}:${u.position.column}); the current set ${u.current === 'no policy' ? 'has no policy for it' : u.current === 'hashes' ? 'only hashes it' : 'removes it'}`);
    }
  }
  if (settings.length > 0) {
    lines.push('settings changed (no logged body can show what these let leave, or where to):');
    for (const c of settings) lines.push(`  ${describeSetting(c)}`);
  }
  for (const note of notes) lines.push(`note: ${note}`);
  const newly = report.groups.reduce((n, g) => n + g.changes['newly-leaves'].length, 0);
  const clear = report.groups.reduce((n, g) => n + g.changes['now-clear'].length, 0);
  const kinds = [...new Set(settings.map((c) => c.kind))].join(', ');
  lines.push(report.widens
    ? `result: the candidate sends what the current set does not: ${plural(newly, 'path')} newly leaving, ${plural(clear, 'path')} newly in clear, ${plural(report.unexercised.length, 'rule')} not exercised by the log${settings.length > 0 ? `; ${plural(settings.length, 'setting')} changed (${kinds})` : ''} (exit 1)`
    : settings.length > 0
      ? `result: the candidate changes ${plural(settings.length, 'setting')} (${kinds}) that decide what leaves or where to (exit 1)`
      : 'result: the candidate sends nothing the current set does not (exit 0)');
  return `${lines.join('\n')}\n`;
}

