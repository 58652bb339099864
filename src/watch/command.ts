/**
 * `mcpload watch`: find the replicas of a distributed run, merge their snapshots every second
 * (exactly: report/merge.ts), print a cluster progress line, evaluate the thresholds on the merged
 * figures live and at the end, and once every replica has finished (or --duration is up) write the
 * merged report and exit with the cluster's verdict: 0 ok, 1 a threshold failed, 3 no replica
 * established a session, 4 a replica vanished before it finished (its figures end at its last
 * snapshot), 2 bad input, 130/143 the watch itself was stopped (after writing the report).
 */
import { parseDuration } from '../config/units.js';
import { parseThresholds } from '../config/thresholds.js';
import { checkOutputs, writeOutput } from '../config/outputs.js';
import type { ParsedOptions } from '../config/option-table.js';
import { EXIT, UsageError, describe } from '../shared/errors.js';
import { evaluateThresholds } from '../report/thresholds.js';
import { renderHtml } from '../report/html.js';
import type { RunReport, ThresholdResult } from '../report/types.js';
import { Cluster, type ClusterEvent, type Replica } from './cluster.js';
import { dnsFinder, urlsFinder } from './replicas.js';
import { clusterLine } from './line.js';
import { planVerdict } from '../report/plan-text.js';
import { renderPlanHtml } from '../report/plan-html.js';
import type { WATCH_OPTIONS } from './options.js';

export type WatchArgs = ParsedOptions<typeof WATCH_OPTIONS>;

/** How often the watch merges: every second, like the replicas' own snapshots. */
const TICK_MS = 1000;

export interface WatchIo {
  /** Progress and event lines (stderr). */
  err(line: string): void;
  /** Resolves when the watch should stop now (a signal), with the exit code it then ends with. */
  stopped: Promise<number>;
}

export interface WatchResult {
  exitCode: number;
  report: RunReport | undefined;
}

function ms(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
  if (v === undefined || v <= 0) throw new UsageError(`--${flag}: "${value}" is not a duration above zero; write it like 30s or 5m (a bare number is seconds)`);
  return v;
}

const list = (values: readonly string[] | undefined) =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

function shardName(r: Replica): string {
  return r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : '';
}

function eventLine(e: ClusterEvent): string {
  const r = e.replica;
  switch (e.kind) {
    case 'appeared':
      return `watch: replica ${r.url}${shardName(r)} appeared${r.state === 'waiting' ? ', waiting for --start-at' : ''}`;
    case 'finished':
      return `watch: replica ${r.url}${shardName(r)} finished`;
    case 'vanished':
      return `watch: replica ${r.url}${shardName(r)} VANISHED before its run finished (${r.why ?? 'no answer'}): its figures end at its last snapshot; the verdict fails`;
    case 'duplicate':
      return `watch: ${r.url} is the same run as ${e.of.url}; watched once`;
  }
}

export async function watchCommand(a: WatchArgs, io: WatchIo): Promise<WatchResult> {
  const from = list(a.from);
  if (from.length && a.dns) throw new UsageError('--from and --dns: give one way to find the replicas');
  if (!from.length && !a.dns) throw new UsageError('watch: say where the replicas are: --from http://host:9464 (repeatable), or --dns tasks.<service>[:port]');
  if (a.dnsServer !== undefined && !a.dns) throw new UsageError('--dns-server: is for --dns NAME');
  const finder = a.dns ? dnsFinder(a.dns, a.dnsServer) : urlsFinder(from);
  const thresholds = parseThresholds(a.threshold);
  checkOutputs({ reportPath: a.report, htmlPath: a.html });
  const durationMs = ms('duration', a.duration) ?? Infinity;
  const waitMs = ms('wait', a.wait) ?? 60_000;
  const lostAfterMs = ms('lost-after', a.lostAfter) ?? 5000;
  const progressMs = ms('progress-interval', a.progressInterval) ?? 5000;

  const cluster = new Cluster(finder, lostAfterMs);
  const startedMs = Date.now();
  let signalled: number | undefined;
  void io.stopped.then((code) => (signalled = code));
  let wake: (() => void) | undefined;
  void io.stopped.then(() => wake?.());
  let lastLineMs = 0;
  let lastSent: { sent: number; atMs: number } | undefined;
  io.err(`watch: looking for replicas at ${finder.describe}`);
  for (;;) {
    const tickMs = Date.now();
    for (const e of await cluster.tick(tickMs)) io.err(eventLine(e));
    const now = Date.now();
    const timeUp = now - startedMs >= durationMs;
    const waitedOut = now - startedMs >= waitMs;
    const done = cluster.settled && (cluster.pending === 0 || waitedOut);
    if (signalled !== undefined || timeUp || done) break;
    if (!cluster.settled && waitedOut && ![...cluster.replicas.values()].some((r) => r.lastSeenMs > 0)) {
      io.err(`watch: no replica answered at ${finder.describe} within --wait ${Math.round(waitMs / 1000)}s`);
      return { exitCode: EXIT.cannotStart, report: undefined };
    }
    if (!a.quiet && now - lastLineMs >= progressMs) {
      lastLineMs = now;
      const merged = safeMerge(cluster, false, io);
      const live = [...(merged?.thresholds ?? []), ...(merged && thresholds.length ? evaluateThresholds(thresholds, merged) : [])];
      const sent = merged?.requests.sent ?? 0;
      const rate = lastSent && now > lastSent.atMs ? ((sent - lastSent.sent) * 1000) / (now - lastSent.atMs) : 0;
      lastSent = { sent, atMs: now };
      io.err(clusterLine((now - startedMs) / 1000, cluster.ordered(), merged, rate, live));
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.max(0, tickMs + TICK_MS - Date.now()));
    });
  }
  return finish(cluster, thresholds, a, io, signalled);
}

/** Merge the newest snapshots; a replica that sent something merge refuses is a note, not a crash. */
function safeMerge(cluster: Cluster, final: boolean, io: WatchIo): RunReport | undefined {
  try {
    return cluster.merged(final);
  } catch (err) {
    io.err(`watch: the replicas' snapshots do not merge: ${describe(err)}`);
    return undefined;
  }
}

function finish(cluster: Cluster, thresholds: ReturnType<typeof parseThresholds>, a: WatchArgs, io: WatchIo, signalled: number | undefined): WatchResult {
  const report = cluster.merged(true);
  if (!report) {
    io.err('watch: no replica sent a snapshot: nothing to report');
    return { exitCode: signalled ?? EXIT.cannotStart, report: undefined };
  }
  // A plan's total thresholds (judged on the merge, watch/plan.ts), then the watch's own.
  const results: ThresholdResult[] = [...(report.thresholds ?? []), ...(thresholds.length ? evaluateThresholds(thresholds, report) : [])];
  if (results.length) report.thresholds = results;
  if (report.plan) io.err(`watch: ${planVerdict(report)} (each phase judged on its merge across the replicas)`);
  for (const r of cluster.ordered().filter((x) => x.state === 'unseen' || x.state === 'waiting'))
    io.err(`watch: replica ${r.url}${shardName(r)} ${r.state === 'unseen' ? 'never answered' : 'never started'}: the verdict fails`);
  for (const index of cluster.missingShards()) io.err(`watch: no replica ran shard ${index}/${cluster.shardCount}: the verdict fails`);
  const running = cluster.ordered().filter((r) => r.state === 'running');
  if (running.length) io.err(`watch: ended with ${running.length} replica(s) still running (--duration or a signal): the report holds their figures so far`);
  const write = (flag: string, path: string, text: string) => {
    try {
      writeOutput(path, text);
      io.err(`watch: ${flag === '--report' ? 'report' : 'HTML report'} written to ${path}`);
    } catch (err) {
      throw new UsageError(`${flag}: could not write ${path} (${describe(err)})`);
    }
  };
  if (a.report) write('--report', a.report, JSON.stringify(report, null, 2) + '\n');
  if (a.html) write('--html', a.html, report.plan ? renderPlanHtml(report) : renderHtml(report));
  return { exitCode: signalled ?? verdict(report, results), report };
}

/** The cluster's exit code, in the order a run's own is decided (index.ts). */
function verdict(report: RunReport, results: readonly ThresholdResult[]): number {
  if (report.sessions.established === 0 && report.sessions.wanted > 0) return EXIT.cannotStart;
  if (results.some((t) => !t.passed)) return EXIT.thresholdFailed;
  if (report.plan?.phases.some((p) => p.report.thresholds?.some((t) => !t.passed))) return EXIT.thresholdFailed;
  if (report.plan && !report.plan.passed) return EXIT.thresholdFailed;
  if (report.merged?.vanished?.length || report.lostEngines?.length) return EXIT.engineLost;
  return EXIT.ok;
}
