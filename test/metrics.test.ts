/**
 * The metrics endpoint against the real reference target: the drop-in names and labels while a run
 * is under way (the CLI binary), exact agreement with the JSON report once the run is over (the
 * programmatic API with its own MetricsServer, so the final numbers can be scraped after the run),
 * bucket attribution on a real HDR histogram, and the options (bad port, legacy variables).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type hdr from 'hdr-histogram-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions, start } from '../src/index.js';
import type { Aggregate } from '../src/main/aggregate.js';
import { LATENCY_BUCKETS_MS, MetricsServer } from '../src/main/metrics.js';
import { bucketCounts } from '../src/main/metrics-buckets.js';
import { decodeHistogram, newHistogram, recordMicros, type Histogram } from '../src/shared/stats.js';
import { ERROR_TYPES } from '../src/shared/errors.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { runCli } from './helpers/cli.js';
import { freePort, parseExposition, samples, value, waitFor, type Sample } from './helpers/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-metrics-'));
const NORMAL_METHODS = ['tools/call', 'resources/list', 'resources/read'];
const STATUSES = {
  ok: 'ok',
  rpc_error: 'rpcError',
  tool_error: 'toolError',
  timeout: 'timeout',
  closed: 'closed',
  dropped: 'dropped',
  queued: 'queued',
  cancelled: 'cancelled',
  invalid: 'invalid',
} as const;
/** The only labels an mcp_client_ series may carry: nothing per client or per session. */
const ALLOWED_LABELS = new Set(['client_type', 'method', 'target', 'status', 'le', 'message_type', 'error_type', 'engine', 'event', 'kind']);

let target: RunningTarget | undefined;
let metricsServer: MetricsServer | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await target?.close();
  await metricsServer?.close();
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  target = metricsServer = blocker = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Counts per bound the slow, obvious way: walk HDR's recorded values (each at the top of its bin). */
function bruteBuckets(h: Histogram): number[] {
  const it = (h as hdr.JsHistogram).recordedValuesIterator;
  it.reset();
  const counts = LATENCY_BUCKETS_MS.map(() => 0);
  while (it.hasNext()) {
    const v = it.next();
    LATENCY_BUCKETS_MS.forEach((le, i) => {
      if (v.valueIteratedTo <= le * 1000) counts[i] += v.countAtValueIteratedTo;
    });
  }
  return counts;
}

/** The scraped buckets of one histogram series, in bound order, plus +Inf, sum and count. */
function scrapedHistogram(all: Sample[], name: string, labels: Record<string, string>) {
  const buckets = LATENCY_BUCKETS_MS.map((le) => value(all, `${name}_bucket`, { ...labels, le: String(le) }));
  return {
    buckets,
    inf: value(all, `${name}_bucket`, { ...labels, le: '+Inf' }),
    sum: value(all, `${name}_sum`, labels),
    count: value(all, `${name}_count`, labels),
  };
}

async function scrape(url: string): Promise<Sample[]> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await r.text());
}

describe('the metrics endpoint during a run (CLI)', () => {
  it('serves the drop-in names with their labels, /healthz and /health, consistent within one scrape, and closes after the run', async () => {
    target = await startTarget({ port: 0 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const reportPath = join(dir, 'live.json');
    const running = runCli(
      [
        '--url',
        target.url,
        '--profile',
        'normal',
        '--clients',
        '4',
        '--rate',
        '50',
        '--duration',
        '3s',
        '--workers',
        '1',
        '--metrics-host',
        '127.0.0.1',
        '--metrics-port',
        String(port),
        '--report',
        reportPath,
        '--quiet',
      ],
      { timeoutMs: 30_000 },
    );
    expect(await waitFor('/healthz', async () => (await fetch(`${base}/healthz`)).status)).toBe(200);
    expect((await fetch(`${base}/health`)).status, 'erlmcp names it /health').toBe(200);
    const all = await waitFor('responses counted in /metrics', async () => {
      const s = await scrape(`${base}/metrics`);
      return value(s, 'mcp_client_messages_received_total', { message_type: 'response' }) > 10 ? s : undefined;
    });

    const mcp = all.filter((s) => s.name.startsWith('mcp_client_'));
    for (const s of mcp) {
      expect(s.labels.client_type).toBe('normal');
      for (const l of Object.keys(s.labels)) expect(ALLOWED_LABELS.has(l), `${s.name} has label ${l}`).toBe(true);
    }
    const labelSets = (name: string) => new Set(samples(all, name).map((s) => Object.keys(s.labels).sort().join(',')));
    expect(labelSets('mcp_client_requests_total')).toEqual(new Set(['client_type,method,status']));
    expect(labelSets('mcp_client_request_duration_ms_bucket')).toEqual(new Set(['client_type,le,method']));
    expect(labelSets('mcp_client_connections_active')).toEqual(new Set(['client_type']));
    expect(labelSets('mcp_client_messages_sent_total')).toEqual(new Set(['client_type,message_type']));
    expect(labelSets('mcp_client_messages_errors_total')).toEqual(new Set(['client_type,error_type']));
    expect(new Set(samples(all, 'mcp_client_requests_total').map((s) => s.labels.status))).toEqual(new Set(Object.keys(STATUSES)));
    expect(new Set(samples(all, 'mcp_client_requests_total').map((s) => s.labels.method))).toEqual(new Set(NORMAL_METHODS));
    expect(new Set(samples(all, 'mcp_client_messages_errors_total').map((s) => s.labels.error_type))).toEqual(new Set(ERROR_TYPES));
    expect(value(all, 'mcp_client_connections_active')).toBe(4);
    expect(value(all, 'mcp_client_sessions_open')).toBe(4);
    expect(value(all, 'mcp_client_sessions_wanted')).toBe(4);
    expect(value(all, 'mcp_client_target_requests_per_second')).toBe(200);
    expect(value(all, 'mcp_client_handshake_duration_ms_count')).toBe(value(all, 'mcp_client_sessions_established_total'));
    expect(samples(all, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(samples(all, 'process_cpu_seconds_total')).toHaveLength(1);
    expect(samples(all, 'mcp_client_engine_event_loop_utilization', { engine: '0' })).toHaveLength(1);

    // One scrape reads one state: every response is in the latency histograms, nothing else is.
    let responses = 0;
    let inFlight = 0;
    for (const method of NORMAL_METHODS) {
      const n = (status: string) => value(all, 'mcp_client_requests_total', { method, status });
      for (const name of ['mcp_client_request_duration_ms', 'mcp_client_request_raw_duration_ms']) {
        const h = scrapedHistogram(all, name, { method });
        expect(h.count).toBe(n('ok') + n('rpc_error') + n('tool_error'));
        expect(h.inf).toBe(h.count);
        h.buckets.forEach((b, i) => expect(b).toBeLessThanOrEqual(i + 1 < h.buckets.length ? h.buckets[i + 1] : h.inf));
      }
      inFlight += value(all, 'mcp_client_requests_sent_total', { method }) - (n('ok') + n('rpc_error') + n('tool_error') + n('timeout') + n('closed'));
      responses += n('ok') + n('rpc_error') + n('tool_error');
    }
    // One engine: the in-flight gauge and the counters come from the same snapshot.
    expect(value(all, 'mcp_client_requests_in_flight')).toBe(inFlight);
    expect(value(all, 'mcp_client_messages_received_total', { message_type: 'response' })).toBe(
      responses + value(all, 'mcp_client_sessions_established_total'),
    );

    const r = await running;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`mcpload: metrics on http://127.0.0.1:${port}/metrics`);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    // The live scrape saw an earlier state of the same run: the report holds at least as much.
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    for (const method of NORMAL_METHODS) {
      expect(report.methods[method].ok).toBeGreaterThanOrEqual(value(all, 'mcp_client_requests_total', { method, status: 'ok' }));
    }
  });
});

describe('exactness', () => {
  it('a scrape after the run equals the JSON report: counters, and every bucket of every HDR histogram', async () => {
    target = await startTarget({ port: 0, errorRate: 0.1 });
    const opts = resolveRunOptions({ profile: 'normal', url: [target.url], clients: 4, rate: 50, duration: '2s', workers: 2, quiet: true });
    const run = start(opts);
    let agg: Aggregate | undefined;
    run.on('snapshot', (_s, a) => (agg = a));
    // The test's own endpoint on the run's Aggregate outlives the run, so the final state can be scraped.
    metricsServer = await MetricsServer.start({
      host: '127.0.0.1',
      port: 0,
      source: { clientType: opts.profile.name, methods: NORMAL_METHODS, aggregate: () => agg },
    });
    const { report } = await run.result;
    const all = await scrape(metricsServer.url);

    for (const method of NORMAL_METHODS) {
      const m = report.methods[method];
      for (const [status, key] of Object.entries(STATUSES)) expect(value(all, 'mcp_client_requests_total', { method, status })).toBe(m[key]);
      expect(value(all, 'mcp_client_requests_sent_total', { method })).toBe(m.sent);
      for (const [name, encoded] of [
        ['mcp_client_request_duration_ms', report.histograms.methods[method].latency],
        ['mcp_client_request_raw_duration_ms', report.histograms.methods[method].latencyRaw],
      ] as const) {
        const hist = decodeHistogram(encoded);
        const scraped = scrapedHistogram(all, name, { method });
        expect(scraped.buckets).toEqual(bruteBuckets(hist));
        expect(scraped.count).toBe(hist.totalCount);
        expect(scraped.count).toBe(m.ok + m.rpcError);
        expect(scraped.sum).toBeCloseTo((hist.mean * hist.totalCount) / 1000, 6);
      }
    }
    expect(report.requests.failed).toBeGreaterThan(0); // the target's error rate: rpc_error is exercised
    const handshake = decodeHistogram(report.histograms.handshake);
    expect(scrapedHistogram(all, 'mcp_client_handshake_duration_ms', {}).buckets).toEqual(bruteBuckets(handshake));
    expect(value(all, 'mcp_client_handshake_duration_ms_count')).toBe(handshake.totalCount);
    for (const [type, n] of Object.entries(report.messages.sent)) expect(value(all, 'mcp_client_messages_sent_total', { message_type: type })).toBe(n);
    for (const [type, n] of Object.entries(report.messages.received)) expect(value(all, 'mcp_client_messages_received_total', { message_type: type })).toBe(n);
    for (const [type, n] of Object.entries(report.errors)) expect(value(all, 'mcp_client_messages_errors_total', { error_type: type })).toBe(n);
    expect(value(all, 'mcp_client_sessions_established_total')).toBe(report.sessions.established);
    expect(value(all, 'mcp_client_reconnects_total')).toBe(report.sessions.reconnects);
    expect(value(all, 'mcp_client_bytes_sent_total')).toBe(Math.round(report.throughput.bytesSentPerSecond * report.durationSeconds));
    expect(value(all, 'mcp_client_bytes_received_total')).toBe(Math.round(report.throughput.bytesReceivedPerSecond * report.durationSeconds));
  });

  it('attributes each observation by the value HDR reports for it (exact to the µs below 2.048 ms)', () => {
    const h = newHistogram();
    const us = [99, 100, 101, 250, 999, 1000, 1001, 2047, 2499, 2500, 24991, 24992, 60_000_000, 3_600_000_000];
    for (const v of us) recordMicros(h, v);
    const counts = bucketCounts(h, LATENCY_BUCKETS_MS);
    expect(counts.cumulative).toEqual(bruteBuckets(h));
    const at = (ms: number) => counts.cumulative[LATENCY_BUCKETS_MS.indexOf(ms)];
    expect(at(0.1)).toBe(2); // 99, 100
    expect(at(0.25)).toBe(4); // + 101, 250
    expect(at(1)).toBe(6); // + 999, 1000; 1001 is above
    // 2499 sits in HDR's bin 2498..2499, 2500 in 2500..2501: the top of the bin decides.
    expect(at(2.5)).toBe(9);
    // 24991 is the top of its bin (24976..24991); 24992..25007 straddles the 25 ms bound and goes above.
    expect(at(25)).toBe(11);
    expect(at(50)).toBe(12);
    expect(at(60000)).toBe(12); // 60 s sits in a bin whose top is above 60 s; the 1 h clamp too
    expect(counts.count).toBe(us.length);
  });
});

describe('options', () => {
  it('a metrics port in use is bad input: one line, exit code 2', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(port, '127.0.0.1', () => r()));
    const r = await runCli(['--clients', '1', '--duration', '1s', '--metrics-host', '127.0.0.1', '--metrics-port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^mcpload: --metrics-port: 127\\.0\\.0\\.1:${port} is already in use; .*--metrics-port`));
    const bad = await runCli(['--metrics-port', '70000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mcpload: --metrics-port: must be a port number from 1 to 65535, or 0/);
  });

  it('honours MCPLOAD_METRICS_*, the old METRICS_PORT and METRICS_ENABLED, and 0 turns the endpoint off', async () => {
    target = await startTarget({ port: 0 });
    const port = await freePort();
    const common = ['--url', target.url, '--clients', '1', '--duration', '0.5s', '--quiet'];
    // Side by side: only the first may listen on the port (another that did would fail to bind: exit 2).
    const [legacy, disabled, off] = await Promise.all([
      runCli(common, { env: { METRICS_PORT: String(port), MCPLOAD_METRICS_HOST: '127.0.0.1' } }),
      runCli(common, { env: { METRICS_ENABLED: 'false', METRICS_PORT: String(port) } }),
      runCli([...common, '--metrics-port', '0'], { env: { MCPLOAD_METRICS_PORT: String(port) } }),
    ]);
    expect(legacy.code, legacy.stderr).toBe(0);
    expect(legacy.stderr).toContain(`mcpload: metrics on http://127.0.0.1:${port}/metrics`);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stderr).not.toContain('metrics on');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toContain('metrics on');
  });
});
