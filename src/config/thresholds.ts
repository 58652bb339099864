/**
 * k6-like pass/fail criteria on a report: `--threshold 'p99<500ms'`, repeatable. Any failed threshold
 * makes the run exit 1; an expression that does not parse is bad input (exit 2, one line).
 *
 * Grammar: METRIC OP VALUE, OP one of < <= > >=.
 *   latency   [raw.|handshake.](p50|p99|p99.9|p(95)|min|max|mean|avg|med)  VALUE a duration with a unit: 500ms, 1s, 250us
 *             (plain = corrected latency, from the intended send time; raw. = from the actual send time)
 *   success   ok / (ok + failed)                         VALUE 95% or 0.95
 *   errors    failed / (ok + failed)                     VALUE 1% or 0.01
 *   errors.T  errors of type T (tool, rpc, timeout, ...: counters.ts ERROR_TYPES) / (ok + failed)   VALUE 1% or 0.01
 *   dropped   dropped / (sent + dropped): due, not sent  VALUE 1% or 0.01
 *   rate      achieved requests/s                        VALUE 1000 (req/s), 0.99*target, target, 99% (of target)
 *   sessions  peak open sessions                         VALUE 100% (of wanted), 0.9*wanted, or a count
 *   recovery  failover window (a plan phase with expect: reconnects): first session close -> all sessions back
 *                                                        VALUE a duration: 30s, 500ms (no close seen, or never back: fails)
 *   reconnects / closed  the failover window's reconnects / sessions closed at once   VALUE a count: 1, 100
 */
import { didYouMean } from './profile-messages.js';
import { ERROR_TYPES, UsageError, type ErrorType } from '../shared/errors.js';

export type Op = '<' | '<=' | '>' | '>=';
export type LatencyStat = 'min' | 'max' | 'mean' | 'percentile';
export type Metric =
  | { kind: 'latency'; series: 'corrected' | 'raw' | 'handshake'; stat: LatencyStat; percentile?: number }
  /** `type`: errors of that type only (errors.tool), over the same requests. */
  | { kind: 'ratio'; of: 'success' | 'errors' | 'dropped'; type?: ErrorType }
  | { kind: 'rate' }
  | { kind: 'sessions' }
  /** The failover window of a plan phase (expect: reconnects): recovery time (µs), reconnects, sessions closed. */
  | { kind: 'failover'; of: FailoverMetric };

export const FAILOVER_METRICS = ['recovery', 'reconnects', 'closed'] as const;
export type FailoverMetric = (typeof FAILOVER_METRICS)[number];

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

const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'min', 'max', 'mean', 'avg', 'med'];
const KNOWN = [
  ...LATENCY_STATS,
  ...LATENCY_STATS.map((s) => `raw.${s}`),
  ...LATENCY_STATS.map((s) => `handshake.${s}`),
  'success',
  'errors',
  ...ERROR_TYPES.map((t) => `errors.${t}`),
  'dropped',
  'rate',
  'sessions',
  ...FAILOVER_METRICS,
];
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
  const name = rawName
    .toLowerCase()
    .replace(/^p\((\d+(?:\.\d+)?)\)$/, 'p$1')
    .replace(/\.p\((\d+(?:\.\d+)?)\)$/, '.p$1');
  const metric = parseMetric(name);
  if (!metric && /^(?:\w+\.)?p\d+(?:\.\d+)?$/.test(name)) throw fail(`"${rawName}": a percentile is between 0 and 100, e.g. p99 or p99.9`);
  if (!metric) {
    const guess = didYouMean(name, KNOWN);
    throw fail(
      `unknown metric "${rawName}" (${guess ? `did you mean "${guess}"?` : 'use p99, raw.p99, handshake.p99, max, mean, success, errors, dropped, rate, sessions or (failover) recovery, reconnects, closed'})`,
    );
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
      if (value === undefined || value > 1)
        throw fail(`"${text}" is not a percentage; write it like ${metric.of === 'success' ? '95% (or 0.95)' : '1% (or 0.01)'}`);
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
    case 'failover': {
      if (metric.of === 'recovery') {
        const d = DURATION.exec(text);
        if (d) return { ...base, value: Number(d[1]) * US_PER[d[2]] };
        throw fail(`"${text}" is not a duration; write the longest recovery allowed like 30s or 500ms`);
      }
      if (/^\d+$/.test(text)) return { ...base, value: Number(text) };
      throw fail(`"${text}" is not a count; write a whole number like ${metric.of === 'reconnects' ? '1' : '100'}`);
    }
  }
}

/** Parse every expression (the first bad one throws). */
export function parseThresholds(exprs: readonly string[] = []): Threshold[] {
  return exprs.map(parseThreshold);
}

function parseMetric(name: string): Metric | undefined {
  if (name === 'success' || name === 'errors' || name === 'dropped') return { kind: 'ratio', of: name };
  const type = /^errors\.(\w+)$/.exec(name)?.[1];
  if (type !== undefined) return (ERROR_TYPES as readonly string[]).includes(type) ? { kind: 'ratio', of: 'errors', type: type as ErrorType } : undefined;
  if (name === 'rate') return { kind: 'rate' };
  if (name === 'sessions') return { kind: 'sessions' };
  if ((FAILOVER_METRICS as readonly string[]).includes(name)) return { kind: 'failover', of: name as FailoverMetric };
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
  if (m.kind === 'ratio') return m.type ? `${m.of}.${m.type}` : m.of;
  if (m.kind === 'failover') return m.of;
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
