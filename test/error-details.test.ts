/**
 * A run as a user makes it (the built CLI) against the official SDK McpServer over Streamable HTTP, with
 * tools that fail the MCP way (a result with isError: true, a handler that throws, arguments that fail
 * validation) and a resource that is not there (a JSON-RPC error): the failures are counted as failed,
 * thresholds on them fail the run (exit 1), and the report, the text and HTML reports and the log name
 * the reasons, per method and tool, redacted and cut.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DETAILS_PER_METHOD, DetailTally, MAX_DETAIL_CHARS, MAX_SNAPSHOT_DETAILS, OTHER_MESSAGE, type ErrorDetail } from '../src/shared/error-details.js';
import { MAX_TARGETS, OTHER_TARGET, distinctTargets, mixTargets } from '../src/shared/targets.js';
import { NoteLog } from '../src/main/notes.js';
import { mergeReports } from '../src/report/merge.js';
import type { RunReport, TargetReport } from '../src/report/types.js';
import { encodeHistogram, newHistogram, summarize } from '../src/shared/stats.js';
import { Answer, Recorder } from '../src/worker/recorder.js';
import { Aggregate } from '../src/main/aggregate.js';
import { RunMetrics } from '../src/main/metrics-registry.js';
import { parseThreshold } from '../src/config/thresholds.js';
import { parseExposition, samples, value } from './helpers/prometheus.js';
import { runCli } from './helpers/cli.js';
import { latencies, syntheticReport } from './helpers/reports.js';
import { startSdkHttpServer, type SdkHttpServer } from './helpers/sdk-http-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-error-details-'));
/** A header value the run sends and the failing tool happens to repeat: it must never reach a report or log. */
const SECRET = 'tok-0123456789abcdef';

let server: SdkHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function failingServer(): Promise<SdkHttpServer> {
  return startSdkHttpServer({
    json: true,
    register: (s) => {
      s.registerTool('validate', { description: 'Fails, the MCP way, with a long message.' }, async () => ({
        isError: true,
        content: [{ type: 'text', text: `validation failed for key ${SECRET} at https://admin:hunter2@db.internal/ ` + 'x'.repeat(400) }],
      }));
      s.registerTool('crash', { description: 'Throws: the SDK answers with an isError result.' }, async () => {
        throw new Error('database is down');
      });
      s.registerTool('strict', { description: 'Wants a number.', inputSchema: { n: z.number() } }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
    },
  });
}

function profileFile(name: string, mix: object[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, clients: 2, rate: 20, messageSize: 512, timeout: '5s', mix }));
  return path;
}

const call = (name: string, args: object = {}) => ({ method: 'tools/call', weight: 1, params: { name, arguments: args } });

describe('error reasons against the SDK server', () => {
  it('tool errors fail the run and the thresholds on them; code, message and tool appear in every output', async () => {
    server = await failingServer();
    const report = join(dir, 'failing.json');
    const html = join(dir, 'failing.html');
    const profile = profileFile('failing', [
      { ...call('echo', { text: 'hi' }), weight: 2 },
      call('validate'),
      call('crash'),
      call('strict', { n: 'not a number' }),
      { method: 'resources/read', weight: 1, params: { uri: 'mcpload://missing' } },
    ]);
    const r = await runCli(
      [
        '--url',
        server.url,
        '--profile',
        profile,
        '--duration',
        '3s',
        '--header',
        `X-Api-Key: ${SECRET}`,
        '--threshold',
        'errors<1%',
        '--threshold',
        'errors.tool<1%',
        '--threshold',
        'errors.timeout<1%',
        '--report',
        report,
        '--html',
        html,
      ],
      { timeoutMs: 60_000 },
    );

    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(readFileSync(report, 'utf8')) as RunReport;

    // Counted as failed, their own kind.
    const calls = json.methods['tools/call'];
    const targets = json.targets!;
    expect(Object.keys(targets)).toEqual([
      'tools/call echo',
      'tools/call validate',
      'tools/call crash',
      'tools/call strict',
      'resources/read mcpload://missing',
    ]);
    expect(targets['tools/call echo'].toolError).toBe(0);
    expect(targets['tools/call echo'].ok).toBeGreaterThan(0);
    for (const tool of ['validate', 'crash', 'strict']) {
      const t = targets[`tools/call ${tool}`];
      expect(t, tool).toMatchObject({ method: 'tools/call', target: tool, ok: 0 });
      expect(t.toolError, tool).toBeGreaterThan(0);
    }
    expect(calls.toolError).toBe(json.errors.tool);
    expect(json.errors.rpc).toBe(json.methods['resources/read'].rpcError);
    expect(json.errors.rpc).toBeGreaterThan(0);
    expect(json.requests.failed).toBe(json.errors.tool + json.errors.rpc + json.errors.timeout + json.errors.closed);
    expect(json.requests.ok).toBe(targets['tools/call echo'].ok);
    expect(json.thresholds!.map((t) => [t.metric, t.passed])).toEqual([
      ['errors', false],
      ['errors.tool', false],
      ['errors.timeout', true],
    ]);

    // The reasons: code and message, per tool, redacted, then cut.
    const details = json.errorDetails!;
    const of = (target: string) => details.find((d) => d.target === target)!;
    expect(of('crash')).toEqual({
      method: 'tools/call',
      target: 'crash',
      type: 'tool',
      message: 'database is down',
      count: targets['tools/call crash'].toolError,
    });
    expect(of('strict').message).toMatch(/validation/i);
    const validate = of('validate');
    expect(validate.message).toContain('validation failed for key [redacted] at https://redacted@db.internal/');
    expect(validate.message).toHaveLength(MAX_DETAIL_CHARS + 1);
    expect(validate.message.endsWith('…')).toBe(true);
    const missing = of('mcpload://missing');
    expect(missing).toMatchObject({ method: 'resources/read', type: 'rpc', count: json.errors.rpc });
    expect(missing.code).toBe(-32602);
    expect(missing.message).toMatch(/mcpload:\/\/missing not found/);

    // Text report, log, HTML.
    expect(r.stdout).toMatch(/^ {2}tool {8}[\d,]+$/m);
    expect(r.stdout).toContain('tools/call crash: tool error: database is down');
    expect(r.stdout).toMatch(/resources\/read mcpload:\/\/missing: rpc error -32602: /);
    expect(r.stdout).toMatch(/^ {4}tools\/call validate: sent [\d,]+, ok 0, failed [\d,]+/m);
    expect(r.stderr).toContain('tools/call crash: tool error: database is down');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Most frequent reasons');
    expect(page).toContain('<code>tools/call crash</code>');
    for (const text of [r.stdout, r.stderr, page, readFileSync(report, 'utf8')]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('hunter2');
    }
  });

  it('a run whose tools all succeed passes errors<1% and errors.tool<1%', async () => {
    server = await failingServer();
    const profile = profileFile('clean', [call('echo', { text: 'hi' }), { method: 'resources/read', weight: 1, params: { uri: 'mcpload://resources/1' } }]);
    const report = join(dir, 'clean.json');
    const r = await runCli(
      ['--url', server.url, '--profile', profile, '--duration', '3s', '--threshold', 'errors<1%', '--threshold', 'errors.tool<1%', '--report', report],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(json.errors.tool).toBe(0);
    expect(json.requests.ok).toBeGreaterThan(0);
    expect(json.errorDetails).toEqual([]);
  });
});

const sumCounts = (ds: readonly ErrorDetail[]) => ds.reduce((n, d) => n + d.count, 0);

describe('the bounds', () => {
  it("an engine's snapshot carries at most MAX_SNAPSHOT_DETAILS reasons; the rest is counted under (other messages)", () => {
    const rec = new Recorder(['tools/call'], [], ['s3cret-value']);
    const m = rec.methods[0];
    for (let i = 0; i < 500; i++) rec.errorDetail(m, 'tool', undefined, `failure ${i % 200} s3cret-value`);
    const gauges = { engineId: 0, atMs: 0, final: false, interval: 0, sessionsWanted: 0, sessionsConnecting: 0, sessionsOpen: 0 };
    const details = rec.take({
      ...gauges,
      sessionsFailed: 0,
      inFlight: 0,
      targetRate: 0,
      loopUtilization: 0,
      loopLagMs: 0,
      sendingStoppedAtMs: 0,
      cpuSeconds: 0,
    }).errorDetails;
    expect(details).toHaveLength(MAX_SNAPSHOT_DETAILS + 1);
    expect(sumCounts(details)).toBe(500);
    expect(details.at(-1)).toEqual({ method: 'tools/call', type: 'tool', message: OTHER_MESSAGE, count: 500 - MAX_SNAPSHOT_DETAILS * 2 - 50 });
    expect(details[0].message).toBe('failure 0 [redacted]');
  });

  it('a report lists the DETAILS_PER_METHOD most frequent reasons of each method, the rest folded, the counts kept', () => {
    const tally = new DetailTally(Infinity);
    for (let i = 0; i < 15; i++) tally.add({ method: 'tools/call', target: 'a', type: 'tool', message: `m${i}` }, 100 - i);
    tally.add({ method: 'resources/read', type: 'rpc', code: -32002, message: 'not found' }, 3);
    const top = tally.top();
    const calls = top.filter((d) => d.method === 'tools/call');
    expect(calls.map((d) => d.message)).toEqual([...Array.from({ length: DETAILS_PER_METHOD }, (_, i) => `m${i}`), OTHER_MESSAGE]);
    expect(calls.at(-1)).toEqual({ method: 'tools/call', target: 'a', type: 'tool', message: OTHER_MESSAGE, count: 86 + 87 + 88 + 89 + 90 });
    // Methods in alphabetical order, whichever came first.
    expect(top[0]).toEqual({ method: 'resources/read', type: 'rpc', code: -32002, message: 'not found', count: 3 });
  });

  it('a mix of more than MAX_TARGETS names keeps the first MAX_TARGETS; the rest of a method share its (other) target', () => {
    const mix = Array.from({ length: MAX_TARGETS + 5 }, (_, i) => ({ method: 'tools/call', weight: 1, params: { name: `t${i}` } }));
    const targets = mixTargets([...mix, { method: 'resources/list', weight: 1 }, { method: 'prompts/get', weight: 1, params: { name: 'p' } }]);
    expect(new Set(targets.map((t) => t?.key)).size).toBe(MAX_TARGETS + 3);
    expect(targets[MAX_TARGETS - 1]?.key).toBe(`tools/call t${MAX_TARGETS - 1}`);
    expect(targets[MAX_TARGETS]).toEqual({ key: `tools/call ${OTHER_TARGET}`, method: 'tools/call', target: OTHER_TARGET });
    expect(targets[MAX_TARGETS + 5]).toBeUndefined();
    // Past the cap still: the (other) target of prompts/get.
    expect(targets[MAX_TARGETS + 6]?.key).toBe(`prompts/get ${OTHER_TARGET}`);
  });

  it('the log names each reason in full once, then only counts it', () => {
    const lines: string[] = [];
    const log = new NoteLog((l) => lines.push(l), true);
    log.add('tools/call x: tool error: boom', 3);
    log.flush(Date.now() + 1000);
    log.add('tools/call x: tool error: boom', 5);
    log.flush(Date.now() + 2000);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('tools/call x: tool error: boom');
    expect(lines[1]).toMatch(/^tools\/call x: tool error: boom \(2 more times in the last \d+s\)$/);
    expect(lines[2]).toMatch(/\(5 more times/);
  });
});

describe('merge', () => {
  /** A replica's report with `n` ok requests per target and one tool error reason. */
  function replica(names: string[], reason: string, at: string): RunReport {
    const r = syntheticReport({ methods: { 'tools/call': latencies(names.length * 4, 2000, names.length) }, handshake: [1000] }, { startedAt: at });
    const targets: Record<string, TargetReport> = {};
    const hists: NonNullable<RunReport['histograms']['targets']> = {};
    for (const name of names) {
      const h = newHistogram();
      for (let i = 0; i < 4; i++) h.recordValue(1000 + i);
      targets[`tools/call ${name}`] = {
        method: 'tools/call',
        target: name,
        ...r.methods['tools/call'],
        sent: 4,
        ok: 4,
        latency: { corrected: summarize(h), raw: summarize(h) },
      };
      hists[`tools/call ${name}`] = { latency: encodeHistogram(h), latencyRaw: encodeHistogram(h) };
    }
    return {
      ...r,
      targets,
      errorDetails: [{ method: 'tools/call', target: names[0], type: 'tool', message: reason, count: 2 }],
      histograms: { ...r.histograms, targets: hists },
    };
  }

  it('adds targets and reasons up, caps the targets again, and still reads reports without them', () => {
    const a = replica(
      Array.from({ length: MAX_TARGETS }, (_, i) => `t${i}`),
      'boom',
      '2026-01-01T00:00:00.000Z',
    );
    const b = replica(['t0', 'new1', 'new2'], 'boom', '2026-01-01T00:00:01.000Z');
    const merged = mergeReports([a, b]);
    const targets = merged.targets!;
    expect(Object.keys(targets)).toHaveLength(MAX_TARGETS + 1);
    expect(targets['tools/call t0']).toMatchObject({ sent: 8, ok: 8 });
    expect(targets['tools/call t0'].latency.corrected.count).toBe(8);
    expect(targets[`tools/call ${OTHER_TARGET}`]).toMatchObject({ method: 'tools/call', target: OTHER_TARGET, sent: 8, ok: 8 });
    expect(merged.errorDetails).toEqual([{ method: 'tools/call', target: 't0', type: 'tool', message: 'boom', count: 4 }]);
    // A merge of its own output validates (histogram counts match), and an older report without the fields merges.
    const old = syntheticReport({ methods: { 'tools/call': latencies(10, 2000, 7) }, handshake: [1000] }, { startedAt: '2026-01-01T00:00:02.000Z' });
    const again = mergeReports([merged, old]);
    expect(again.targets!['tools/call t0'].sent).toBe(8);
    expect(again.errorDetails).toEqual(merged.errorDetails);
    expect(mergeReports([old]).targets).toBeUndefined();
  });
});

describe('thresholds and metrics on tool errors', () => {
  it('errors.TYPE parses for every error type; an unknown type is one line with a guess', () => {
    expect(parseThreshold('errors.tool<1%')).toMatchObject({ name: 'errors.tool', metric: { kind: 'ratio', of: 'errors', type: 'tool' }, value: 0.01 });
    expect(parseThreshold('errors.rpc <= 0.5%').name).toBe('errors.rpc');
    expect(() => parseThreshold('errors.tools<1%')).toThrow(/unknown metric "errors.tools" \(did you mean "errors.tool"\?\)/);
  });

  it('/metrics: tool_error is a status of mcp_client_requests_total; targets have their own series, the method label stays the method', async () => {
    const mix = [
      { method: 'tools/call', weight: 1, params: { name: 'echo' } },
      { method: 'tools/call', weight: 1, params: { name: 'fails' } },
      { method: 'resources/list', weight: 1 },
    ];
    const targets = distinctTargets(mix);
    const rec = new Recorder(['tools/call', 'resources/list'], targets);
    const [echo, fails] = [rec.recorderOf('tools/call', targets[0]), rec.recorderOf('tools/call', targets[1])];
    echo.sent += 3;
    for (let i = 0; i < 3; i++) rec.response(echo, Answer.Ok, 0, 0, 1);
    fails.sent += 2;
    for (let i = 0; i < 2; i++) rec.response(fails, Answer.ToolError, 0, 0, 2);
    const agg = new Aggregate(Date.now());
    const gauges = { engineId: 0, atMs: 0, final: false, interval: 0, sessionsWanted: 0, sessionsConnecting: 0, sessionsOpen: 0, sessionsFailed: 0 };
    agg.add(rec.take({ ...gauges, inFlight: 0, targetRate: 0, loopUtilization: 0, loopLagMs: 0, sendingStoppedAtMs: 0, cpuSeconds: 0 }));
    const metrics = new RunMetrics({ clientType: 't', methods: ['tools/call', 'resources/list'], targets, aggregate: () => agg });
    const all = parseExposition(await metrics.scrape());
    expect(value(all, 'mcp_client_requests_total', { method: 'tools/call', status: 'ok' })).toBe(3);
    expect(value(all, 'mcp_client_requests_total', { method: 'tools/call', status: 'tool_error' })).toBe(2);
    expect(value(all, 'mcp_client_messages_errors_total', { error_type: 'tool' })).toBe(2);
    expect(value(all, 'mcp_client_target_requests_total', { method: 'tools/call', target: 'fails', status: 'tool_error' })).toBe(2);
    expect(value(all, 'mcp_client_target_requests_sent_total', { method: 'tools/call', target: 'echo' })).toBe(3);
    expect(value(all, 'mcp_client_target_request_duration_ms_count', { method: 'tools/call', target: 'echo' })).toBe(3);
    // Untargeted methods have no target series; the drop-in series carry no target label.
    expect(samples(all, 'mcp_client_target_requests_sent_total').map((s) => s.labels.target)).toEqual(['echo', 'fails']);
    expect(samples(all, 'mcp_client_requests_total').every((s) => s.labels.target === undefined)).toBe(true);
  });
});
