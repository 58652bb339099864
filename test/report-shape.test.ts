/**
 * The run's output shapes pinned against a committed golden file (test/golden/report-shape.json): every
 * JSON key path of a real report and of a merge of two, with its value type; the text report's section
 * headings and line labels; the /metrics series names with their label names. Values vary from run to
 * run, shapes must not: a refactor of how counters are declared proves itself here.
 * Regenerate (only for an intended change of shape): UPDATE_GOLDEN=1 npx vitest run test/report-shape.test.ts
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunOptions, start } from '../src/index.js';
import type { Aggregate } from '../src/main/aggregate.js';
import { RunMetrics } from '../src/main/metrics-registry.js';
import { mergeReports } from '../src/report/merge.js';
import { renderReport } from '../src/report/text.js';
import { renderThresholds } from '../src/report/thresholds.js';
import type { RunReport } from '../src/report/types.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { parseExposition } from './helpers/prometheus.js';

const GOLDEN = fileURLToPath(new URL('./golden/report-shape.json', import.meta.url));

interface Shapes {
  report: string[];
  merged: string[];
  text: string[];
  metrics: string[];
}

/**
 * `path: type` lines in document order (so the order of fields in the written JSON is pinned too); array
 * elements collapse to `[]` (their types joined when they differ).
 */
export function keyPaths(value: unknown): string[] {
  const out = new Map<string, Set<string>>();
  const walk = (v: unknown, path: string) => {
    const type = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    if (!out.has(path)) out.set(path, new Set());
    out.get(path)!.add(type);
    if (Array.isArray(v)) v.forEach((x) => walk(x, `${path}[]`));
    else if (type === 'object') for (const [k, x] of Object.entries(v as object)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(JSON.parse(JSON.stringify(value)), '');
  out.delete('');
  return [...out].map(([p, types]) => `${p}: ${[...types].sort().join('|')}`);
}

/**
 * Every line of the text report with its figures as `#` (a figure with its unit: 12ms, 3.4%) and runs of
 * spaces as one (column padding follows the figures' widths). Warnings depend on the machine's load.
 */
function textShape(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => !l.includes('WARNING'))
    .map((l) =>
      l
        .replace(/(?<![A-Za-z\d.])\d[\d,]*(\.\d+)?(µs|ms|s|%)?/gu, '#')
        .replace(/^=+$/, '===')
        .replace(/(\S)\s+/g, '$1 ')
        .trimEnd(),
    );
}

/** HELP and TYPE lines and `name{label=value,...}` of every mcp_client_ series (bucket bounds as le=*), in exposition order. */
function metricsShape(text: string): string[] {
  const meta = text.split('\n').filter((l) => /^# (HELP|TYPE) mcp_client_/.test(l));
  const series = parseExposition(text)
    .filter((s) => s.name.startsWith('mcp_client_'))
    .map((s) => {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${k === 'le' ? '*' : v}`);
      return `${s.name}{${labels.sort().join(',')}}`;
    });
  return [...meta, ...new Set(series)];
}

let target: RunningTarget;
let shapes: Shapes;
let report: RunReport;
let merged: RunReport;

beforeAll(async () => {
  // Errors from the target, so the error breakdown lists every type (not "none").
  target = await startTarget({ host: '127.0.0.1', port: 0, errorRate: 0.3 });
  const opts = resolveRunOptions({
    profile: 'normal',
    url: [target.url],
    clients: 3,
    rate: 50,
    duration: '600ms',
    workers: 1,
    quiet: true,
    threshold: ['p99<1m', 'errors<1%'],
  });
  const run = start(opts);
  let agg: Aggregate | undefined;
  run.on('snapshot', (_s, a) => (agg = a));
  report = (await run.result).report;
  const metrics = new RunMetrics({ clientType: opts.profile.name, methods: [...new Set(opts.profile.mix.map((e) => e.method))], aggregate: () => agg });
  // A second replica of the same shape (merge refuses one run twice: it needs its own runId).
  merged = mergeReports([report, { ...report, runId: 'a-second-replica' }]);
  shapes = {
    report: keyPaths(report),
    merged: keyPaths(merged),
    text: textShape(renderReport(report) + renderThresholds(report.thresholds ?? [])),
    metrics: metricsShape(await metrics.scrape()),
  };
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(fileURLToPath(new URL('./golden/', import.meta.url)), { recursive: true });
    writeFileSync(GOLDEN, JSON.stringify(shapes, null, 2) + '\n');
  }
}, 30_000);

afterAll(async () => {
  await target?.close();
});

describe('the shapes of what a run puts out', () => {
  const golden = () => JSON.parse(readFileSync(GOLDEN, 'utf8')) as Shapes;
  it('the JSON report has exactly the golden key paths and value types', () => expect(shapes.report).toEqual(golden().report));
  it('a merge of two reports has exactly the golden key paths and value types', () => expect(shapes.merged).toEqual(golden().merged));
  it('the text report has the golden headings and line labels', () => expect(shapes.text).toEqual(golden().text));
  it('/metrics has the golden series and label names', () => expect(shapes.metrics).toEqual(golden().metrics));
  it('the totals are the sums of the per-method counters, in the report and in the merge', () => {
    for (const r of [report, merged]) {
      const ms = Object.values(r.methods);
      const total = (f: (m: (typeof ms)[number]) => number) => ms.reduce((n, m) => n + f(m), 0);
      expect(r.requests.sent).toBe(total((m) => m.sent));
      expect(r.requests.ok).toBe(total((m) => m.ok));
      expect(r.requests.failed).toBe(total((m) => m.rpcError + m.timeout + m.closed));
      expect(r.requests.dropped).toBe(total((m) => m.dropped));
      expect(r.timeline.reduce((n, p) => n + p.failed, 0)).toBe(r.requests.failed);
      expect(r.requests.failed).toBeGreaterThan(0);
    }
    expect(merged.requests.failed).toBe(2 * report.requests.failed);
    for (const [name, m] of Object.entries(report.methods)) {
      const counts = m as unknown as Record<string, number>;
      const mergedCounts = merged.methods[name] as unknown as Record<string, number>;
      for (const k of ['sent', 'ok', 'rpcError', 'timeout', 'closed', 'dropped']) expect(mergedCounts[k]).toBe(2 * counts[k]);
      expect(merged.methods[name].latency.corrected.count).toBe(2 * m.latency.corrected.count);
    }
  });
});
