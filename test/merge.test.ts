/**
 * `mcpload merge`: replicas' reports add up exactly (the issue's acceptance test), bad inputs are one line,
 * and reports (real and merged) validate against the shipped JSON Schema.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadReport, mergeReportFiles, mergeReports, reportSchemaPath } from '../src/report/merge.js';
import { renderReport } from '../src/report/text.js';
import type { RunReport } from '../src/report/types.js';
import { parseThreshold } from '../src/config/thresholds.js';
import { evaluateThresholds } from '../src/report/thresholds.js';
import { UsageError } from '../src/shared/errors.js';
import { addEncoded, decodeHistogram, newHistogram, summarize } from '../src/shared/stats.js';
import { histogramOf, latencies, realReport, syntheticReport, type Samples } from './helpers/reports.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-merge-'));
const Ajv = AjvModule.default;
const validate = new Ajv({ strict: true, allowUnionTypes: true, validateFormats: false }).compile(
  JSON.parse(readFileSync(reportSchemaPath(), 'utf8')) as object,
);

function expectSchemaValid(report: unknown): void {
  const ok = validate(JSON.parse(JSON.stringify(report)));
  expect(ok, JSON.stringify(validate.errors)).toBe(true);
}

describe('merging known samples (deterministic)', () => {
  // Three replicas with different latency distributions and sizes: averaging their percentiles would be wrong.
  const samples: Samples[] = [
    { methods: { 'tools/call': latencies(5000, 800, 1), ping: latencies(3000, 300, 2) }, handshake: latencies(40, 20_000, 3), rawLess: 50, failed: 7 },
    { methods: { 'tools/call': latencies(2000, 5000, 4) }, handshake: latencies(10, 90_000, 5), rawLess: 200, dropped: 3 },
    { methods: { ping: latencies(9000, 150, 6), 'resources/read': [1, 2, 3_600_000_000, 4_000_000_000] }, handshake: latencies(25, 5000, 7) },
  ];
  const reports = samples.map((s, i) => syntheticReport(s, { profile: 'normal', startedAt: `2026-01-01T00:00:0${i}.400Z`, seconds: 10 + i }));
  const merged = mergeReports(reports);

  it('gives the percentiles of one histogram holding every sample', () => {
    const everyCorrected = samples.flatMap((s) => Object.values(s.methods).flat());
    const ping = [...samples[0].methods.ping, ...samples[2].methods.ping];
    const everyRaw = samples.flatMap((s) =>
      Object.values(s.methods)
        .flat()
        .map((v) => Math.max(0, v - (s.rawLess ?? 0))),
    );
    const one = summarize(histogramOf(everyCorrected));
    expect(merged.latency.corrected.p50).toBe(one.p50);
    expect(merged.latency.corrected.p99).toBe(one.p99);
    expect(merged.latency.corrected.max).toBe(one.max);
    expect(merged.latency.corrected).toEqual(one);
    expect(merged.latency.raw).toEqual(summarize(histogramOf(everyRaw)));
    expect(merged.sessions.handshake).toEqual(summarize(histogramOf(samples.flatMap((s) => s.handshake))));
    expect(merged.methods.ping.latency.corrected).toEqual(summarize(histogramOf(ping)));
    // And the encoded histogram it carries is that histogram too (so merging merged reports stays exact).
    expect(summarize(decodeHistogram(merged.histograms.latency))).toEqual(one);
  });

  it('matches the exact sample percentiles within HdrHistogram resolution (3 digits)', () => {
    const sorted = samples.flatMap((s) => Object.values(s.methods).flat()).sort((a, b) => a - b);
    const exact = (p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1];
    for (const [p, got] of [
      [50, merged.latency.corrected.p50],
      [99, merged.latency.corrected.p99],
    ] as const) {
      expect(Math.abs(got - exact(p)) / exact(p)).toBeLessThan(0.001);
    }
  });

  it('adds counters and rates, and keeps the text report sections', () => {
    expect(merged.requests.sent).toBe(reports.reduce((n, r) => n + r.requests.sent, 0));
    expect(merged.requests.failed).toBe(7);
    expect(merged.requests.dropped).toBe(3);
    expect(merged.errors.rpc).toBe(7);
    expect(merged.sessions.peak).toBe(75);
    expect(merged.config.clients).toBe(75);
    expect(merged.throughput.requestsPerSecond).toBeCloseTo(
      reports.reduce((n, r) => n + r.throughput.requestsPerSecond, 0),
      9,
    );
    expect(merged.throughput.achievedRatio).toBeCloseTo(merged.throughput.requestsPerSecond / merged.throughput.targetRequestsPerSecond, 9);
    expect(merged.durationSeconds).toBe(12);
    expect(merged.merged?.replicas).toBe(3);
    // A row per replica for the HTML report's table, named by source (here none: "report N").
    expect(merged.merged?.byReplica?.map((x) => [x.source, x.clients, x.sent, x.failed])).toEqual(
      reports.map((r, i) => [`report ${i + 1}`, r.config.clients, r.requests.sent, r.requests.failed]),
    );
    expect(merged.profile).toBe('normal');
    const text = renderReport(merged);
    for (const section of ['REQUEST METRICS', 'LATENCY METRICS', 'THROUGHPUT', 'SESSIONS', 'ERROR BREAKDOWN']) expect(text).toContain(section);
  });

  it('aligns timelines on the wall clock, second by second', () => {
    // Starts at :00.4, :01.4, :02.4 → offsets 0, 1, 2 seconds; lengths 10, 11, 12 → 14 seconds in all.
    expect(merged.timeline).toHaveLength(14);
    expect(merged.timeline[0].sent).toBe(reports[0].timeline[0].sent);
    expect(merged.timeline[2].sent).toBe(reports[0].timeline[2].sent + reports[1].timeline[1].sent + reports[2].timeline[0].sent);
    expect(merged.timeline[13].sessionsOpen).toBe(reports[2].sessions.peak);
    expect(merged.timeline.map((p) => p.second)).toEqual([...Array(14).keys()]);
  });

  it('merging merged reports is the same as merging all at once', () => {
    const twoStep = mergeReports([mergeReports(reports.slice(0, 2)), reports[2]]);
    expect(twoStep.latency).toEqual(merged.latency);
    expect(twoStep.requests).toEqual(merged.requests);
    expect(twoStep.merged?.replicas).toBe(3);
    // A merged input brings its own rows: still one per replica (the sources are named per merge).
    const unnamed = (rows: NonNullable<typeof merged.merged>['byReplica']) => rows?.map((x) => ({ ...x, source: '' }));
    expect(unnamed(twoStep.merged?.byReplica)).toEqual(unnamed(merged.merged?.byReplica));
  });

  it('validates against the shipped JSON Schema, with and without thresholds', () => {
    expectSchemaValid(merged);
    const withThresholds: RunReport = { ...merged, thresholds: evaluateThresholds(['p99<1s', 'handshake.p99<1ms'].map(parseThreshold), merged) };
    expectSchemaValid(withThresholds);
    const empty = syntheticReport({ methods: {}, handshake: [] });
    expectSchemaValid({ ...empty, thresholds: evaluateThresholds([parseThreshold('p99<1s')], empty) }); // NaN actual → null
  });
});

describe('merging the reports of three real runs', () => {
  let files: string[];
  let reports: RunReport[];
  beforeAll(async () => {
    files = [0, 1, 2].map((i) => join(dir, `replica-${i}.json`));
    // Replicas run at the same time, as they do in a swarm.
    reports = await Promise.all(files.map((f) => realReport(f)));
  }, 60_000);

  it('gives the percentiles of one histogram holding all their samples, and adds the counters', () => {
    const merged = mergeReportFiles(files);
    const all = newHistogram();
    for (const r of reports) addEncoded(all, r.histograms.latency);
    const one = summarize(all);
    expect(merged.latency.corrected.count).toBe(reports.reduce((n, r) => n + r.latency.corrected.count, 0));
    expect(merged.latency.corrected.p50).toBe(one.p50);
    expect(merged.latency.corrected.p99).toBe(one.p99);
    expect(merged.latency.corrected.max).toBe(one.max);
    expect(merged.latency.corrected.max).toBe(Math.max(...reports.map((r) => r.latency.corrected.max)));
    expect(merged.requests.sent).toBe(reports.reduce((n, r) => n + r.requests.sent, 0));
    expect(merged.requests.ok).toBe(reports.reduce((n, r) => n + r.requests.ok, 0));
    expect(merged.sessions.established).toBe(15);
    expect(merged.config.urls).toHaveLength(3);
    // The generator's GC pauses: seconds add up, the worst second is the worst replica's.
    expect(merged.generator!.gcSeconds).toBeCloseTo(
      reports.reduce((n, r) => n + r.generator!.gcSeconds!, 0),
      9,
    );
    expect(merged.generator!.maxGcMsPerSecond).toBe(Math.max(...reports.map((r) => r.generator!.maxGcMsPerSecond!)));
    expectSchemaValid(merged);
  });

  it('real reports validate against the shipped JSON Schema', () => {
    for (const r of reports) expectSchemaValid(r);
  });
});

describe('bad input: one line, a UsageError (exit code 2)', () => {
  const good = syntheticReport({ methods: { ping: [100, 200] }, handshake: [1000] });
  const write = (name: string, content: string) => {
    const f = join(dir, name);
    writeFileSync(f, content);
    return f;
  };
  const cases: [string, () => unknown, RegExp][] = [
    ['no files', () => mergeReportFiles([]), /give at least one report file/],
    ['missing file', () => loadReport(join(dir, 'nope.json')), /nope\.json: no such file/],
    ['a directory', () => loadReport(dir), /is a directory/],
    ['not JSON', () => loadReport(write('text.json', 'sent 100\nok 99\n')), /text\.json: not an mcpload report \(not JSON/],
    ['a JSON array', () => loadReport(write('array.json', '[1,2]')), /array\.json: not an mcpload report \(not a JSON object\)/],
    ['no reportVersion', () => loadReport(write('b.json', '{"requests": {}}')), /\/b\.json: not an mcpload report \(reportVersion missing\)$/],
    ['a future version', () => loadReport(write('v2.json', JSON.stringify({ ...good, reportVersion: 2 }))), /v2\.json: reportVersion 2 is not supported/],
    [
      'a missing section',
      () => mergeReports([good, { ...good, requests: undefined }], ['a.json', 'c.json']),
      /c\.json: not a valid mcpload report \(the report: missing field "requests"\)/,
    ],
    ['a wrong type', () => mergeReports([{ ...good, requests: { ...good.requests, sent: 'many' } }]), /report 1: .*requests\.sent: must be integer/],
    [
      'not base64',
      () => mergeReports([{ ...good, histograms: { ...good.histograms, latency: 'not a histogram!' } }]),
      /histograms\.latency: not an encoded HdrHistogram/,
    ],
    [
      'base64, not a histogram',
      () => mergeReports([{ ...good, histograms: { ...good.histograms, handshake: 'AAAAAAAA' } }]),
      /histograms\.handshake: not an encoded HdrHistogram/,
    ],
    ['a bad date', () => mergeReports([{ ...good, startedAt: 'yesterday' }]), /startedAt: not a date and time/],
  ];
  it.each(cases)('%s', (_name, call, message) => {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
