/**
 * Evaluating --threshold criteria (parsed by config/thresholds.ts) on a report, and --abort-on-fail's
 * question: can a threshold still pass? Any failed threshold makes the run exit 1.
 */
import type { RunOptions } from '../config/types.js';
import type { FailoverMetric, Op, Threshold, Metric } from '../config/thresholds.js';
import { formatMicros } from '../config/units.js';
import { decodeHistogram, type LatencySummary } from '../shared/stats.js';
import { peakClients, plannedRequestRate } from '../config/stages.js';
import type { FailoverReport, RunReport, ThresholdResult, ThresholdSource } from './types.js';

function compare(actual: number, op: Op, limit: number): boolean {
  if (Number.isNaN(actual)) return false;
  if (op === '<') return actual < limit;
  if (op === '<=') return actual <= limit;
  if (op === '>') return actual > limit;
  return actual >= limit;
}

const STANDARD: Record<number, keyof LatencySummary> = { 50: 'p50', 90: 'p90', 95: 'p95', 99: 'p99', 99.9: 'p999' };

/** A report as thresholds read it: its figures, and its encoded histograms decoded when a percentile needs one. */
function sourceOf(r: RunReport | ThresholdSource): ThresholdSource {
  if ('histogramOf' in r) return r;
  const encoded = { corrected: r.histograms?.latency, raw: r.histograms?.latencyRaw, handshake: r.histograms?.handshake };
  return {
    requests: r.requests,
    latency: r.latency,
    throughput: r.throughput,
    sessions: r.sessions,
    errors: r.errors,
    failover: r.failover,
    histogramOf: (series) => (encoded[series] ? decodeHistogram(encoded[series]) : undefined),
  };
}

function latencySummary(r: ThresholdSource, series: 'corrected' | 'raw' | 'handshake'): LatencySummary {
  return series === 'handshake' ? r.sessions.handshake : r.latency[series];
}

/** A latency statistic in µs, NaN without samples. Standard percentiles come from the summary, others from the histogram. */
function latencyValue(r: ThresholdSource, m: Extract<Metric, { kind: 'latency' }>): number {
  const summary = latencySummary(r, m.series);
  if (summary.count === 0) return NaN;
  if (m.stat !== 'percentile') return summary[m.stat];
  const field = STANDARD[m.percentile!];
  if (field) return summary[field];
  return r.histogramOf(m.series)?.getValueAtPercentile(m.percentile!) ?? NaN;
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : NaN);

/** The actual value and the resolved limit of one threshold on a report. */
function measure(t: Threshold, r: ThresholdSource): { actual: number; limit: number } {
  const m = t.metric;
  switch (m.kind) {
    case 'latency':
      return { actual: latencyValue(r, m), limit: t.value };
    case 'ratio': {
      const { ok, failed, sent, dropped } = r.requests;
      const errors = m.type ? (r.errors[m.type] ?? 0) : failed;
      const actual = m.of === 'success' ? ratio(ok, ok + failed) : m.of === 'errors' ? ratio(errors, ok + failed) : ratio(dropped, sent + dropped);
      return { actual, limit: t.value };
    }
    case 'rate':
      return { actual: r.throughput.requestsPerSecond, limit: t.relative ? t.value * r.throughput.targetRequestsPerSecond : t.value };
    case 'sessions':
      return { actual: r.sessions.peak, limit: t.relative ? t.value * r.sessions.wanted : t.value };
    case 'failover':
      return { actual: failoverValue(r.failover, m.of), limit: t.value };
  }
}

/** Recovery in µs (Infinity: never back; NaN: no failover window or no close seen), or a count. */
function failoverValue(f: FailoverReport | undefined, of: FailoverMetric): number {
  if (!f) return NaN;
  if (of === 'reconnects') return f.reconnects;
  if (of === 'closed') return f.closedSessions;
  if (f.firstCloseSecond === null) return NaN;
  return f.recoverySeconds === null ? Infinity : f.recoverySeconds * 1e6;
}

const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function pretty(t: Threshold, v: number, isLimit: boolean): string {
  if (Number.isNaN(v)) return t.metric.kind === 'ratio' ? 'no requests' : t.metric.kind === 'failover' ? 'no failover seen' : 'no samples';
  switch (t.metric.kind) {
    case 'latency':
      return formatMicros(v);
    case 'ratio':
      return pct(v);
    case 'rate':
      return `${v >= 100 ? int(v) : v.toFixed(1)} req/s` + (isLimit && t.relative ? ` (${t.value}×target)` : '');
    case 'sessions':
      return int(v) + (isLimit && t.relative ? ` (${pct(t.value)} of wanted)` : '');
    case 'failover':
      if (t.metric.of !== 'recovery') return int(v);
      return v === Infinity ? 'not recovered' : formatMicros(v);
  }
}

/**
 * Evaluate thresholds on a report. A threshold on something the report has no samples for (a latency
 * with no responses, an error rate with no requests) fails: a gate passes on evidence only.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], report: RunReport | ThresholdSource): ThresholdResult[] {
  const source = sourceOf(report);
  return thresholds.map((t) => {
    const { actual, limit } = measure(t, source);
    const passed = compare(actual, t.op, limit);
    return { expr: t.expr, metric: t.name, op: t.op, actual, limit, passed, pretty: pretty(t, actual, false), prettyLimit: pretty(t, limit, true) };
  });
}

export interface RunBound {
  /** An upper bound on the requests that fall due in the whole run (sent + dropped); Infinity when unknown. */
  maxRequests: number;
}

/**
 * The most requests a run can make due: each client's token bucket gives at most rate × time + burst.
 * Infinity for a run without an end (duration 0: until a signal), or without a schedule (the closed model).
 */
export function requestBound(opts: RunOptions): RunBound {
  if (!(opts.durationMs > 0) || opts.profile.closed) return { maxRequests: Infinity };
  const p = opts.profile;
  return { maxRequests: Math.ceil(plannedRequestRate(opts) * (opts.durationMs / 1000) * 1.02 + peakClients(p) * (p.burst + 1)) };
}

/**
 * Has this threshold failed for good, so that `--abort-on-fail` may stop the run now? `run` is the run so
 * far (cumulative counters and histograms): a report, or the Aggregate's live figures (build.ts liveFigures).
 * True only when no way the rest of the run can go makes the final value pass:
 * - max latency over a limit (<, <=), or min latency under one (>, >=): these only move one way, so final at once;
 * - a latency percentile or mean over a limit, errors or dropped over a limit, success under one: final when even
 *   if every request still to come (up to `bound.maxRequests`) were instant and ok, the final value would fail;
 * - rate, sessions, handshake percentiles, and limits from below (p50>1ms): known only at the end, never final here.
 * Without a bound (Infinity) only the one-way metrics can fail for good.
 */
export function finalFailure(t: Threshold, run: RunReport | ThresholdSource, bound: RunBound = { maxRequests: Infinity }): boolean {
  const partial = sourceOf(run);
  const { actual, limit } = measure(t, partial);
  if (Number.isNaN(actual) || compare(actual, t.op, limit)) return false;
  const upper = t.op === '<' || t.op === '<=';
  const m = t.metric;
  const n = bound.maxRequests;
  if (m.kind === 'latency') {
    if (m.stat === 'max') return upper;
    if (m.stat === 'min') return !upper;
    if (!upper || m.series === 'handshake' || !Number.isFinite(n)) return false;
    const summary = latencySummary(partial, m.series);
    const total = Math.max(n, summary.count);
    // The best case for the rest of the run: every later sample is 0 µs.
    if (m.stat === 'mean') return !compare((summary.mean * summary.count) / total, t.op, limit);
    // With (total - count) zeros added, the final p-th percentile is at least the current histogram's q-th
    // (minus one rank of slack, for the rounding of ranks).
    const q = (100 * (summary.count - (1 - m.percentile! / 100) * total - 1)) / summary.count;
    if (!(q > 0)) return false;
    const histogram = partial.histogramOf(m.series);
    return histogram !== undefined && !compare(histogram.getValueAtPercentile(q), t.op, limit);
  }
  if (m.kind !== 'ratio' || !Number.isFinite(n)) return false;
  const { ok, failed, sent, dropped } = partial.requests;
  if (m.of === 'success') return !upper && !compare(1 - failed / Math.max(n, ok + failed), t.op, limit);
  if (m.of === 'errors') return upper && !compare((m.type ? (partial.errors[m.type] ?? 0) : failed) / Math.max(n, ok + failed), t.op, limit);
  return upper && !compare(dropped / Math.max(n, sent + dropped), t.op, limit);
}

/** The THRESHOLDS section of the text report. */
export function renderThresholds(results: readonly ThresholdResult[]): string {
  if (results.length === 0) return '';
  const width = Math.max(...results.map((r) => r.expr.length)) + 2;
  const lines = results.map(
    (r) => `  ${r.passed ? '✓' : '✗'} ${r.expr.padEnd(width)}${r.metric} ${r.pretty}${r.passed ? '' : `  (limit ${r.op} ${r.prettyLimit})`}`,
  );
  const failed = results.filter((r) => !r.passed).length;
  return ['', 'THRESHOLDS', ...lines, `  ${failed === 0 ? 'all passed' : `${failed} of ${results.length} failed`}`, ''].join('\n');
}
