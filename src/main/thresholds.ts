/**
 * k6-like pass/fail criteria on a report: `--threshold 'p99<500ms'`, repeatable. Any failed threshold
 * makes the run exit 1; an expression that does not parse is bad input (exit 2, one line).
 *
 * Grammar: METRIC OP VALUE, OP one of < <= > >=.
 *   latency   [raw.|handshake.](p50|p99|p99.9|p(95)|min|max|mean|avg|med)  VALUE a duration with a unit: 500ms, 1s, 250us
 *             (plain = corrected latency, from the intended send time; raw. = from the actual send time)
 *   success   ok / (ok + failed)                         VALUE 95% or 0.95
 *   errors    failed / (ok + failed)                     VALUE 1% or 0.01
 *   dropped   dropped / (sent + dropped): due, not sent  VALUE 1% or 0.01
 *   rate      achieved requests/s                        VALUE 1000 (req/s), 0.99*target, target, 99% (of target)
 *   sessions  peak open sessions                         VALUE 100% (of wanted), 0.9*wanted, or a count
 */
import type { RunOptions } from '../config/types.js';
import { didYouMean } from '../config/profile-messages.js';
import { formatMicros } from '../config/units.js';
import { UsageError } from '../shared/errors.js';
import { decodeHistogram, type LatencySummary } from '../shared/stats.js';
import { plannedRequestRate, type RunReport } from './report.js';

export type Op = '<' | '<=' | '>' | '>=';
export type LatencyStat = 'min' | 'max' | 'mean' | 'percentile';
export type Metric =
  | { kind: 'latency'; series: 'corrected' | 'raw' | 'handshake'; stat: LatencyStat; percentile?: number }
  | { kind: 'ratio'; of: 'success' | 'errors' | 'dropped' }
  | { kind: 'rate' }
  | { kind: 'sessions' };

export interface Threshold {
  /** As the user wrote it. */
  expr: string;
  /** Canonical metric name: p99, raw.p99.9, handshake.max, errors, rate, ... */
  name: string;
  metric: Metric;
  op: Op;
  /** µs for latency, a fraction for ratios, req/s or a factor of the target for rate, a count or a factor of wanted for sessions. */
  value: number;
  /** rate: the value is a factor of the target rate; sessions: a factor of the sessions wanted. */
  relative?: boolean;
}

export interface ThresholdResult {
  expr: string;
  metric: string;
  op: Op;
  /** The measured value (µs, fraction, req/s, sessions); NaN when the report has no samples for it. */
  actual: number;
  /** The value compared against, resolved (a relative rate becomes req/s). */
  limit: number;
  passed: boolean;
  /** The actual value as a person reads it: "189ms", "2.31%", "1,877 req/s", "no samples". */
  pretty: string;
  prettyLimit: string;
}

const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'min', 'max', 'mean', 'avg', 'med'];
const KNOWN = [...LATENCY_STATS, ...LATENCY_STATS.map((s) => `raw.${s}`), ...LATENCY_STATS.map((s) => `handshake.${s}`), 'success', 'errors', 'dropped', 'rate', 'sessions'];
const EXPR = /^\s*([A-Za-z][\w.()]*)\s*(<=|>=|==|=|<|>|!=)\s*(.*?)\s*$/;
const NUMBER = '(\\d+(?:\\.\\d+)?|\\.\\d+)';
const DURATION = new RegExp(`^${NUMBER}\\s*(us|µs|ms|s|m)$`);
const PERCENT = new RegExp(`^${NUMBER}\\s*%$`);
const PLAIN = new RegExp(`^${NUMBER}$`);
const TIMES = new RegExp(`^(?:${NUMBER}\\s*\\*\\s*)?(target|wanted)$`);
const US_PER: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1e6, m: 60e6 };

/** Parse one --threshold expression; throws a one-line UsageError naming the expression and the fix. */
export function parseThreshold(expr: string): Threshold {
  const fail = (why: string) => new UsageError(`--threshold ${JSON.stringify(expr)}: ${why}`);
  const m = EXPR.exec(expr);
  if (!m) throw fail('write METRIC OP VALUE, e.g. p99<500ms, errors<1%, rate>=0.99*target');
  const [, rawName, rawOp, text] = m;
  if (rawOp === '=' || rawOp === '==' || rawOp === '!=') throw fail(`"${rawOp}" is not a comparison here; use <, <=, > or >=`);
  const op = rawOp as Op;
  if (text === '') throw fail(`nothing after "${op}"; write a value, e.g. p99<500ms`);
  const name = rawName.toLowerCase().replace(/^p\((\d+(?:\.\d+)?)\)$/, 'p$1').replace(/\.p\((\d+(?:\.\d+)?)\)$/, '.p$1');
  const metric = parseMetric(name);
  if (!metric && /^(?:\w+\.)?p\d+(?:\.\d+)?$/.test(name)) throw fail(`"${rawName}": a percentile is between 0 and 100, e.g. p99 or p99.9`);
  if (!metric) {
    const guess = didYouMean(name, KNOWN);
    throw fail(`unknown metric "${rawName}" (${guess ? `did you mean "${guess}"?` : 'use p99, raw.p99, handshake.p99, max, mean, success, errors, dropped, rate or sessions'})`);
  }
  const canonical = canonicalName(metric);
  const base = { expr, name: canonical, metric, op };
  switch (metric.kind) {
    case 'latency': {
      const d = DURATION.exec(text);
      if (d) return { ...base, value: Number(d[1]) * US_PER[d[2]] };
      if (PLAIN.test(text)) throw fail(`"${text}" needs a unit; write ${text}ms or ${text}s`);
      throw fail(`"${text}" is not a duration; write it like 500ms, 1s or 250us`);
    }
    case 'ratio': {
      const value = parseFraction(text);
      if (value === undefined || value > 1) throw fail(`"${text}" is not a percentage; write it like ${metric.of === 'success' ? '95% (or 0.95)' : '1% (or 0.01)'}`);
      return { ...base, value };
    }
    case 'rate': {
      const times = TIMES.exec(text);
      if (times && times[2] === 'target') return { ...base, value: Number(times[1] ?? 1), relative: true };
      const pct = PERCENT.exec(text);
      if (pct) return { ...base, value: Number(pct[1]) / 100, relative: true };
      const abs = /^(\d+(?:\.\d+)?)\s*(?:\/s|req\/s)?$/.exec(text);
      if (abs) return { ...base, value: Number(abs[1]) };
      throw fail(`"${text}" is not a rate; write requests/s like 1000, or relative to the target like 0.99*target or 99%`);
    }
    case 'sessions': {
      const times = TIMES.exec(text);
      if (times && times[2] === 'wanted') return { ...base, value: Number(times[1] ?? 1), relative: true };
      const pct = PERCENT.exec(text);
      if (pct) return { ...base, value: Number(pct[1]) / 100, relative: true };
      if (/^\d+$/.test(text)) return { ...base, value: Number(text) };
      throw fail(`"${text}" is not a session count; write a share of the sessions wanted like 100% or 0.9*wanted, or a count like 1000`);
    }
  }
}

/** Parse every expression (the first bad one throws). */
export function parseThresholds(exprs: readonly string[] = []): Threshold[] {
  return exprs.map(parseThreshold);
}

function parseMetric(name: string): Metric | undefined {
  if (name === 'success' || name === 'errors' || name === 'dropped') return { kind: 'ratio', of: name };
  if (name === 'rate') return { kind: 'rate' };
  if (name === 'sessions') return { kind: 'sessions' };
  const m = /^(?:(raw|handshake|corrected)\.)?(min|max|mean|avg|med|p(\d+(?:\.\d+)?))$/.exec(name);
  if (!m) return undefined;
  const series = m[1] === 'raw' || m[1] === 'handshake' ? m[1] : 'corrected';
  if (m[2] === 'min' || m[2] === 'max' || m[2] === 'mean') return { kind: 'latency', series, stat: m[2] };
  if (m[2] === 'avg') return { kind: 'latency', series, stat: 'mean' };
  const percentile = m[2] === 'med' ? 50 : Number(m[3]);
  if (!(percentile > 0 && percentile <= 100)) return undefined;
  return { kind: 'latency', series, stat: 'percentile', percentile };
}

function canonicalName(m: Metric): string {
  if (m.kind === 'ratio') return m.of;
  if (m.kind !== 'latency') return m.kind;
  const stat = m.stat === 'percentile' ? `p${m.percentile}` : m.stat;
  return m.series === 'corrected' ? stat : `${m.series}.${stat}`;
}

function parseFraction(text: string): number | undefined {
  const pct = PERCENT.exec(text);
  if (pct) return Number(pct[1]) / 100;
  if (PLAIN.test(text)) return Number(text);
  return undefined;
}

function compare(actual: number, op: Op, limit: number): boolean {
  if (Number.isNaN(actual)) return false;
  if (op === '<') return actual < limit;
  if (op === '<=') return actual <= limit;
  if (op === '>') return actual > limit;
  return actual >= limit;
}

const STANDARD: Record<number, keyof LatencySummary> = { 50: 'p50', 90: 'p90', 95: 'p95', 99: 'p99', 99.9: 'p999' };

function latencySource(r: RunReport, series: 'corrected' | 'raw' | 'handshake'): { summary: LatencySummary; encoded: string | undefined } {
  if (series === 'handshake') return { summary: r.sessions.handshake, encoded: r.histograms?.handshake };
  return { summary: r.latency[series], encoded: series === 'raw' ? r.histograms?.latencyRaw : r.histograms?.latency };
}

/** A latency statistic in µs, NaN without samples. Standard percentiles come from the summary, others from the histogram. */
function latencyValue(r: RunReport, m: Extract<Metric, { kind: 'latency' }>): number {
  const { summary, encoded } = latencySource(r, m.series);
  if (summary.count === 0) return NaN;
  if (m.stat !== 'percentile') return summary[m.stat];
  const field = STANDARD[m.percentile!];
  if (field) return summary[field];
  return encoded ? decodeHistogram(encoded).getValueAtPercentile(m.percentile!) : NaN;
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : NaN);

/** The actual value and the resolved limit of one threshold on a report. */
function measure(t: Threshold, r: RunReport): { actual: number; limit: number } {
  const m = t.metric;
  switch (m.kind) {
    case 'latency':
      return { actual: latencyValue(r, m), limit: t.value };
    case 'ratio': {
      const { ok, failed, sent, dropped } = r.requests;
      const actual = m.of === 'success' ? ratio(ok, ok + failed) : m.of === 'errors' ? ratio(failed, ok + failed) : ratio(dropped, sent + dropped);
      return { actual, limit: t.value };
    }
    case 'rate':
      return { actual: r.throughput.requestsPerSecond, limit: t.relative ? t.value * r.throughput.targetRequestsPerSecond : t.value };
    case 'sessions':
      return { actual: r.sessions.peak, limit: t.relative ? t.value * r.sessions.wanted : t.value };
  }
}

const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function pretty(t: Threshold, v: number, isLimit: boolean): string {
  if (Number.isNaN(v)) return t.metric.kind === 'ratio' ? 'no requests' : 'no samples';
  switch (t.metric.kind) {
    case 'latency':
      return formatMicros(v);
    case 'ratio':
      return pct(v);
    case 'rate':
      return `${v >= 100 ? int(v) : v.toFixed(1)} req/s` + (isLimit && t.relative ? ` (${t.value}×target)` : '');
    case 'sessions':
      return int(v) + (isLimit && t.relative ? ` (${pct(t.value)} of wanted)` : '');
  }
}

/**
 * Evaluate thresholds on a report. A threshold on something the report has no samples for (a latency
 * with no responses, an error rate with no requests) fails: a gate passes on evidence only.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], report: RunReport): ThresholdResult[] {
  return thresholds.map((t) => {
    const { actual, limit } = measure(t, report);
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
 * Infinity for a run without an end (duration 0: until a signal).
 */
export function requestBound(opts: RunOptions): RunBound {
  if (!(opts.durationMs > 0)) return { maxRequests: Infinity };
  const p = opts.profile;
  const clients = Math.max(p.clients, ...p.stages.map((s) => s.clients));
  return { maxRequests: Math.ceil(plannedRequestRate(opts) * (opts.durationMs / 1000) * 1.02 + clients * (p.burst + 1)) };
}

/**
 * Has this threshold failed for good, so that `--abort-on-fail` may stop the run now? `partial` is a
 * report of the run so far (cumulative counters and histograms). True only when no way the rest of the
 * run can go makes the final value pass:
 * - max latency over a limit (<, <=), or min latency under one (>, >=): these only move one way, so final at once;
 * - a latency percentile or mean over a limit, errors or dropped over a limit, success under one: final when even
 *   if every request still to come (up to `bound.maxRequests`) were instant and ok, the final value would fail;
 * - rate, sessions, handshake percentiles, and limits from below (p50>1ms): known only at the end, never final here.
 * Without a bound (Infinity) only the one-way metrics can fail for good.
 */
export function finalFailure(t: Threshold, partial: RunReport, bound: RunBound = { maxRequests: Infinity }): boolean {
  const { actual, limit } = measure(t, partial);
  if (Number.isNaN(actual) || compare(actual, t.op, limit)) return false;
  const upper = t.op === '<' || t.op === '<=';
  const m = t.metric;
  const n = bound.maxRequests;
  if (m.kind === 'latency') {
    if (m.stat === 'max') return upper;
    if (m.stat === 'min') return !upper;
    if (!upper || m.series === 'handshake' || !Number.isFinite(n)) return false;
    const { summary, encoded } = latencySource(partial, m.series);
    const total = Math.max(n, summary.count);
    // The best case for the rest of the run: every later sample is 0 µs.
    if (m.stat === 'mean') return !compare((summary.mean * summary.count) / total, t.op, limit);
    if (!encoded) return false;
    // With (total - count) zeros added, the final p-th percentile is at least the current histogram's q-th
    // (minus one rank of slack, for the rounding of ranks).
    const q = (100 * (summary.count - (1 - m.percentile! / 100) * total - 1)) / summary.count;
    return q > 0 && !compare(decodeHistogram(encoded).getValueAtPercentile(q), t.op, limit);
  }
  if (m.kind !== 'ratio' || !Number.isFinite(n)) return false;
  const { ok, failed, sent, dropped } = partial.requests;
  if (m.of === 'success') return !upper && !compare(1 - failed / Math.max(n, ok + failed), t.op, limit);
  if (m.of === 'errors') return upper && !compare(failed / Math.max(n, ok + failed), t.op, limit);
  return upper && !compare(dropped / Math.max(n, sent + dropped), t.op, limit);
}

/** The THRESHOLDS section of the text report. */
export function renderThresholds(results: readonly ThresholdResult[]): string {
  if (results.length === 0) return '';
  const width = Math.max(...results.map((r) => r.expr.length)) + 2;
  const lines = results.map((r) => `  ${r.passed ? '✓' : '✗'} ${r.expr.padEnd(width)}${r.metric} ${r.pretty}${r.passed ? '' : `  (limit ${r.op} ${r.prettyLimit})`}`);
  const failed = results.filter((r) => !r.passed).length;
  return ['', 'THRESHOLDS', ...lines, `  ${failed === 0 ? 'all passed' : `${failed} of ${results.length} failed`}`, ''].join('\n');
}
