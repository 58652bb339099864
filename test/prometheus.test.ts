/**
 * The issue's acceptance test: a real Prometheus (the Debian package; .ci/run installs it) scrapes
 * three mcpload processes with different profiles, all against one reference target on loopback,
 * and what it computes through its HTTP API agrees with the three JSON reports:
 * - the summed request rate over a window inside every run's steady part, against the sum of the
 *   achieved rates the reports print;
 * - histogram_quantile(0.99) over the whole run, against the p99 of the three reports' HDR
 *   histograms merged, to within the width of the bucket that holds it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LATENCY_BUCKETS_MS } from '../src/main/metrics.js';
import type { RunReport } from '../src/report/types.js';
import { addEncoded, newHistogram } from '../src/shared/stats.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { runCli } from './helpers/cli.js';
import { freePort, prometheusBinary, startPrometheus, type RunningPrometheus } from './helpers/prometheus.js';

const DURATION_S = 40;
/** Small enough for a 2-core machine running the target, three generators and Prometheus at once. */
const RUNS = [
  { profile: 'normal', clients: 4, rate: 50 },
  { profile: 'low-load', clients: 5, rate: 10 },
  { profile: 'message-bomber', clients: 10, rate: 150 },
];
/**
 * Rate tolerance. Prometheus's rate() over a window of ~35 s extrapolates from 1 s scrapes of
 * counters that move once a second (engine snapshots): a scrape that lands on a snapshot's instant
 * may or may not see it, so the window can hold one snapshot more or less, 1/35 ≈ 3 % (with the
 * 20 s runs this test had, the window was ~15 s and one step 6.7 %: it failed once at 5.4 %). The
 * reports average over the whole sending window, connect ramp included.
 */
const RATE_TOLERANCE = 0.05;

const dir = mkdtempSync(join(tmpdir(), 'mcpload-prom-test-'));
let prom: RunningPrometheus | undefined;
let target: RunningTarget | undefined;

beforeAll(() => {
  // Fails (never skips) without Prometheus, saying how to install it.
  prometheusBinary();
});

afterAll(async () => {
  await prom?.stop();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

function scalar(result: { value: [number, string] }[], what: string): number {
  if (result.length !== 1) throw new Error(`${what}: expected one series, got ${result.length}`);
  return Number(result[0].value[1]);
}

it('Prometheus scraping three mcpload processes agrees with their reports on rate and p99', { timeout: 100_000 }, async () => {
  target = await startTarget({ port: 0 });
  const ports = await Promise.all(RUNS.map(() => freePort()));
  const promPort = await freePort();
  prom = await startPrometheus({ port: promPort, targets: ports.map((p) => `127.0.0.1:${p}`), scrapeIntervalS: 1 });

  const reportPaths = RUNS.map((r) => join(dir, `${r.profile}.json`));
  const results = await Promise.all(
    RUNS.map((r, i) =>
      runCli(
        [
          '--url',
          target!.url,
          '--profile',
          r.profile,
          '--clients',
          String(r.clients),
          '--rate',
          String(r.rate),
          '--duration',
          `${DURATION_S}s`,
          '--workers',
          '1',
          '--metrics-host',
          '127.0.0.1',
          '--metrics-port',
          String(ports[i]),
          '--report',
          reportPaths[i],
          '--quiet',
        ],
        { timeoutMs: 75_000 },
      ),
    ),
  );
  results.forEach((r, i) => expect(r.code, `${RUNS[i].profile}: ${r.stderr}`).toBe(0));
  const reports = reportPaths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as RunReport);
  for (const rep of reports) expect(rep.requests.failed, rep.profile).toBe(0);

  // Rate: a window inside every run's steady part (sessions up, sending not yet stopped).
  const starts = reports.map((r) => Date.parse(r.startedAt) / 1000);
  const windowStart = Math.max(...starts) + 3;
  const windowEnd = Math.min(...starts) + DURATION_S - 2;
  const windowS = Math.floor(windowEnd - windowStart);
  expect(windowS).toBeGreaterThanOrEqual(30);
  const promRate = scalar(await prom.query(`sum(rate(mcp_client_messages_sent_total{message_type="request"}[${windowS}s]))`, windowEnd), 'rate');
  const reportRate = reports.reduce((sum, r) => sum + r.throughput.requestsPerSecond, 0);
  console.log(
    `rate over ${windowS} s: Prometheus ${promRate.toFixed(1)} req/s, reports ${reportRate.toFixed(1)} req/s (${((100 * (promRate - reportRate)) / reportRate).toFixed(2)} %)`,
  );
  expect(Math.abs(promRate - reportRate) / reportRate, `Prometheus ${promRate.toFixed(1)} req/s, reports ${reportRate.toFixed(1)} req/s`).toBeLessThanOrEqual(
    RATE_TOLERANCE,
  );
  // Every process was scraped under its own profile name.
  const types = await prom.query('count by (client_type) (mcp_client_connections_active)', windowEnd);
  expect(new Set(types.map((t) => t.metric.client_type))).toEqual(new Set(RUNS.map((r) => r.profile)));

  // p99 over the whole run: every sample Prometheus has, against the merged HDR histograms.
  const now = Date.now() / 1000;
  const wholeS = Math.ceil(now - Math.min(...starts)) + 5;
  const promP99 = scalar(await prom.query(`histogram_quantile(0.99, sum by (le) (rate(mcp_client_request_duration_ms_bucket[${wholeS}s])))`, now), 'p99');
  const merged = newHistogram();
  for (const r of reports) addEncoded(merged, r.histograms.latency);
  const hdrP99 = merged.getValueAtPercentile(99) / 1000;
  const upper = LATENCY_BUCKETS_MS.findIndex((le) => hdrP99 <= le);
  const width = upper < 0 ? Infinity : upper === 0 ? LATENCY_BUCKETS_MS[0] : LATENCY_BUCKETS_MS[upper] - LATENCY_BUCKETS_MS[upper - 1];
  expect(Math.abs(promP99 - hdrP99), `Prometheus p99 ${promP99} ms, merged HDR p99 ${hdrP99} ms, bucket width ${width} ms`).toBeLessThanOrEqual(width);
});
