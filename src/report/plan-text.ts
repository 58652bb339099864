/**
 * The plan's text report: the pre-flight line, a section per phase (its own report and thresholds), the
 * plan's total (the exact merge of the phases), and a verdict table with a row per phase.
 */
import { formatMicros } from '../config/units.js';
import { renderReport } from './text.js';
import { renderThresholds } from './thresholds.js';
import type { FailoverReport, PhaseReport, RunReport } from './types.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function describeFailover(f: FailoverReport | undefined): string {
  if (!f) return '-';
  if (f.firstCloseSecond === null) return `no close seen, ${int(f.reconnects)} reconnects`;
  const recovery = f.recoverySeconds === null ? 'not recovered' : `recovered in ${f.recoverySeconds.toFixed(1)} s`;
  return `${int(f.closedSessions)} closed at ${f.firstCloseSecond.toFixed(1)} s, ${int(f.reconnects)} reconnects, ${recovery}`;
}

function verdictOf(p: PhaseReport): string {
  const failed = p.report.thresholds?.filter((t) => !t.passed) ?? [];
  if (failed.length) return `FAIL (${failed.map((t) => t.expr).join(', ')})`;
  if (!p.passed) return p.report.sessions.established === 0 ? 'FAIL (no session)' : 'FAIL';
  return 'pass';
}

/** `plan passed`, or `plan FAILED: phase c (p99<500ms), plan total (success>=95%)`: what failed, by name. */
export function planVerdict(total: RunReport): string {
  const plan = total.plan!;
  if (plan.passed) return 'plan passed';
  const failed = plan.phases.filter((p) => !p.passed).map((p) => `phase ${p.name} ${verdictOf(p).replace(/^FAIL ?/, '') || ''}`.trim());
  const totalFailed = total.thresholds?.filter((t) => !t.passed) ?? [];
  if (totalFailed.length) failed.push(`plan total (${totalFailed.map((t) => t.expr).join(', ')})`);
  return `plan FAILED: ${failed.length ? failed.join(', ') : 'stopped before every phase ran'}`;
}

/** One row per phase, then the total: what the text and HTML verdict tables show. */
export function verdictRows(total: RunReport): string[][] {
  const row = (name: string, start: string, r: RunReport, failover: string, verdict: string) => [
    name,
    start,
    int(r.requests.sent),
    `${(r.requests.successRate * 100).toFixed(2)}%`,
    formatMicros(r.latency.corrected.p50),
    formatMicros(r.latency.corrected.p95),
    formatMicros(r.latency.corrected.p99),
    failover,
    verdict,
  ];
  const phases = total.plan?.phases ?? [];
  const totalFailed = total.thresholds?.filter((t) => !t.passed) ?? [];
  return [
    ...phases.map((p) => row(p.name, `+${p.startSecond.toFixed(1)}s`, p.report, p.report.failover ? describeFailover(p.report.failover) : '-', verdictOf(p))),
    row(
      '(plan total)',
      '',
      total,
      '-',
      totalFailed.length ? `FAIL (${totalFailed.map((t) => t.expr).join(', ')})` : total.plan?.passed ? 'pass' : 'FAIL (a phase)',
    ),
  ];
}

function tableOf(rows: string[][], head: string[]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map(
      (r) =>
        '  ' +
        r
          .map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

export function renderPlanReport(total: RunReport): string {
  const plan = total.plan!;
  const out: string[] = [`PLAN ${plan.name}: ${plan.phases.length} phases`];
  if (plan.preflight) out.push(`  pre-flight: ${plan.preflight.url} answered the MCP handshake in ${plan.preflight.ms} ms (${plan.preflight.server})`);
  for (const p of plan.phases) {
    out.push('', `=== PHASE ${p.name} (started +${p.startSecond.toFixed(1)}s) ===`, renderReport(p.report).trimEnd());
    if (p.report.failover) out.push('', `FAILOVER  ${describeFailover(p.report.failover)}`);
    const th = renderThresholds(p.report.thresholds ?? []);
    if (th) out.push(th.trimEnd());
  }
  out.push('', '=== PLAN TOTAL (all phases, merged exactly) ===', renderReport(total).trimEnd());
  const th = renderThresholds(total.thresholds ?? []);
  if (th) out.push(th.trimEnd());
  out.push('', 'VERDICT', tableOf(verdictRows(total), ['phase', 'start', 'sent', 'success', 'p50', 'p95', 'p99', 'failover', 'verdict']));
  out.push(`  ${planVerdict(total)}`, '');
  return out.join('\n');
}
