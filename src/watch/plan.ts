/**
 * A plan run by shards (`mcpload plan FILE --shard i/n`), as the watch sees it: every replica's /snapshot
 * is its plan so far, with a report per phase. Each phase is merged across the replicas on its own
 * (report/merge.ts: counters added, percentiles from the summed histograms) and its thresholds are
 * judged again on that merge, as the plan's own report judges them on one process; the plan's total
 * thresholds likewise on the merged total. The thresholds come from the replicas' reports (their
 * expressions), so the watch needs no copy of the plan file.
 */
import { parseThresholds } from '../config/thresholds.js';
import { mergeReports } from '../report/merge.js';
import { evaluateThresholds } from '../report/thresholds.js';
import type { FailoverReport, PhaseReport, PlanReport, RunReport, ThresholdResult } from '../report/types.js';

/** The threshold expressions a set of reports was judged on, in their order, each once. */
function exprsOf(reports: readonly RunReport[]): string[] {
  return [...new Set(reports.flatMap((r) => (r.thresholds ?? []).map((t) => t.expr)))];
}

/** The failover window across replicas: closed sessions and reconnects add up; the first close is the earliest, recovery the slowest. */
function mergeFailover(fs: readonly FailoverReport[]): FailoverReport | undefined {
  if (fs.length === 0) return undefined;
  const closes = fs.filter((f) => f.firstCloseSecond !== null);
  return {
    closedSessions: fs.reduce((n, f) => n + f.closedSessions, 0),
    reconnects: fs.reduce((n, f) => n + f.reconnects, 0),
    firstCloseSecond: closes.length ? Math.min(...closes.map((f) => f.firstCloseSecond!)) : null,
    recoverySeconds: closes.length && closes.every((f) => f.recoverySeconds !== null) ? Math.max(...closes.map((f) => f.recoverySeconds!)) : null,
  };
}

/** Judge `report` on `exprs` (none: no thresholds field). */
function judge(report: RunReport, exprs: readonly string[]): ThresholdResult[] {
  if (exprs.length === 0) {
    delete report.thresholds;
    return [];
  }
  report.thresholds = evaluateThresholds(parseThresholds(exprs), report);
  return report.thresholds;
}

/**
 * The cluster's plan: `total` (the merge of the replicas' plan totals) gets a `plan` with every phase
 * merged across the replicas that ran it and judged on that merge, and the plan's total thresholds.
 * Undefined when no replica runs a plan.
 */
export function mergePlans(total: RunReport, reports: readonly RunReport[], sources: readonly string[]): PlanReport | undefined {
  const plans = reports.map((r) => r.plan);
  const first = plans.find((p) => p !== undefined);
  if (!first) return undefined;
  const names: string[] = [];
  for (const p of plans) for (const ph of p?.phases ?? []) if (!names.includes(ph.name)) names.push(ph.name);
  const running = new Set(plans.flatMap((p) => p?.running ?? []));
  const phases: PhaseReport[] = names.map((name) => {
    const parts = plans.flatMap((p, i) => {
      const ph = p?.phases.find((x) => x.name === name);
      return ph ? [{ ph, source: sources[i] }] : [];
    });
    const report = mergeReports(
      parts.map((x) => x.ph.report),
      parts.map((x) => `${x.source} (phase ${name})`),
    );
    const failover = mergeFailover(parts.flatMap((x) => (x.ph.report.failover ? [x.ph.report.failover] : [])));
    if (failover) report.failover = failover;
    const results = judge(report, exprsOf(parts.map((x) => x.ph.report)));
    // A replica's phase that failed for another reason than its own thresholds (no session, a lost engine) fails the cluster's.
    const otherwise = parts.some((x) => !x.ph.passed && !x.ph.report.thresholds?.some((t) => !t.passed));
    const noSession = report.sessions.established === 0 && report.sessions.wanted > 0;
    const passed = !otherwise && !noSession && !results.some((t) => !t.passed);
    return { name, startSecond: Math.min(...parts.map((x) => x.ph.startSecond)), report, passed };
  });
  const totals = judge(total, exprsOf(reports.filter((r) => r.plan)));
  const complete = plans.every((p) => p !== undefined && !p.running?.length);
  return {
    name: first.name,
    ...(first.preflight ? { preflight: first.preflight } : {}),
    phases,
    passed: complete && phases.every((p) => p.passed) && !totals.some((t) => !t.passed),
    ...(running.size ? { running: [...running] } : {}),
  };
}
