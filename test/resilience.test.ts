/**
 * Resilience through the real CLI binary (issue 6): graceful stop on SIGTERM/SIGINT (drain, close
 * frames, report, metrics during the drain, exit 143/130, a second signal stops at once) and a
 * target killed mid-run and restarted on the same port (the run goes on, every session comes back).
 * Time bounds here are behaviour (within the drain timeout, plus generous margins), never speed.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import type { RunReport } from '../src/report/types.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { until } from './helpers/engine-run.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { freePort } from './helpers/prometheus.js';
import { silentServer, type BaseServer, type RawServer } from './helpers/raw-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-resilience-'));
const targets: RunningTarget[] = [];
const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all([...targets.splice(0), ...servers.splice(0)].map((t) => t.close()));
});

async function silent(): Promise<BaseServer> {
  const s = await silentServer();
  servers.push(s);
  return s;
}

async function target(opts: Parameters<typeof startTarget>[0] = {}): Promise<RunningTarget> {
  const t = await startTarget({ port: 0, ...opts });
  targets.push(t);
  return t;
}

/** Beyond the drain timeout, what a stop may take (engine threads, report, exit) on a busy machine. */
const MARGIN_MS = 10_000;

interface Started {
  pid: number;
  done: Promise<CliResult>;
}

function startCli(args: string[], env?: Record<string, string>): Started {
  const started = { pid: 0 } as Started;
  started.done = runCli(args, { env, timeoutMs: 90_000, onSpawn: (pid) => (started.pid = pid) });
  return started;
}

/** Signal the CLI and measure how long it takes to end. */
async function signal(cli: Started, sig: NodeJS.Signals): Promise<{ r: CliResult; tookMs: number }> {
  const t0 = Date.now();
  process.kill(cli.pid, sig);
  const r = await cli.done;
  return { r, tookMs: Date.now() - t0 };
}

const readReport = (file: string): RunReport => JSON.parse(readFileSync(file, 'utf8')) as RunReport;

function complete(report: RunReport): void {
  expect(report.reportVersion).toBe(1);
  expect(report.requests.sent).toBeGreaterThan(0);
  expect(report.timeline.length).toBeGreaterThan(0);
  expect(typeof report.histograms.latency).toBe('string');
  for (const key of ['connect', 'handshake', 'timeout', 'protocol', 'rpc', 'closed']) expect(report.errors).toHaveProperty(key);
}

describe('graceful stop', () => {
  it('SIGTERM: sending stops, in-flight answers are awaited, close frames reach the server, the report is written, exit 143', { timeout: 90_000 }, async () => {
    const clients = 10;
    const drainMs = 3000;
    // Each answer takes 300 ms, so every session has requests in flight when the signal comes.
    const t = await target({ delayMs: 300 });
    const report = join(dir, 'sigterm.json');
    const cli = startCli([
      '--url',
      t.url,
      '--clients',
      String(clients),
      '--rate',
      '20',
      '--duration',
      '60s',
      '--drain-timeout',
      `${drainMs}ms`,
      '--workers',
      '1',
      '--quiet',
      '--report',
      report,
    ]);
    await until(() => t.stats().sessionsOpen === clients, 20_000);
    await until(() => t.stats().requests > clients * 20, 20_000);

    const { r, tookMs } = await signal(cli, 'SIGTERM');
    console.log(`SIGTERM: exit ${r.code} after ${tookMs} ms (drain timeout ${drainMs} ms)`);
    expect(r.code).toBe(143);
    expect(tookMs).toBeLessThan(drainMs + MARGIN_MS);
    expect(r.stdout).toContain('interrupted by SIGTERM');
    expect(r.stderr).toContain(`report written to ${report}`);
    expect(existsSync(report)).toBe(true);
    const json = readReport(report);
    complete(json);
    expect(json.interrupted).toBe('SIGTERM');
    // The drain waited for every answer: nothing failed, nothing was cut off.
    expect(json.requests.ok).toBe(json.requests.sent);
    expect(json.requests.failed).toBe(0);
    expect(Object.values(json.errors).every((n) => n === 0)).toBe(true);
    // Every session ended with a close frame (not a dropped connection).
    await until(() => t.stats().sessionsOpen === 0, 10_000);
    // Plus one: the discovery session at run start (the normal profile's `discover: fallback` entries).
    expect(t.stats().sessionsTotal).toBe(clients + 1);
    expect(t.stats().closeFramesReceived).toBe(clients + 1);
  });

  it('the drain ends at the drain timeout: answers still outstanding then are counted as failed, not waited for', { timeout: 90_000 }, async () => {
    // Answers initialize, then never anything: every request is in flight until the run gives up on it.
    const server = await silent();
    const report = join(dir, 'drain-cut.json');
    const cli = startCli([
      '--url',
      server.url,
      '--clients',
      '4',
      '--rate',
      '10',
      '--timeout',
      '60s',
      '--duration',
      '60s',
      '--drain-timeout',
      '1s',
      '--workers',
      '1',
      '--quiet',
      '--report',
      report,
    ]);
    await until(() => server.frames.length >= 4 * 4, 20_000);

    const { r, tookMs } = await signal(cli, 'SIGTERM');
    console.log(`drain cut: exit ${r.code} after ${tookMs} ms (drain timeout 1000 ms, answers never come)`);
    expect(r.code).toBe(143);
    expect(tookMs).toBeLessThan(1000 + MARGIN_MS);
    const json = readReport(report);
    complete(json);
    expect(json.requests.ok).toBe(0);
    expect(json.requests.failed).toBe(json.requests.sent);
    // Cut off, but still with a close frame (1000) on every session.
    // Plus one: the discovery session at run start (the normal profile's `discover: fallback` entries).
    await until(() => server.stats.closeCodes.length === 5, 10_000);
    expect(server.stats.closeCodes).toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it('a second signal stops at once, and the report is still written', { timeout: 90_000 }, async () => {
    const server = await silent();
    const report = join(dir, 'twice.json');
    // The drain would wait 60 s for answers that never come; the second SIGTERM must not.
    const cli = startCli([
      '--url',
      server.url,
      '--clients',
      '2',
      '--rate',
      '10',
      '--timeout',
      '60s',
      '--duration',
      '60s',
      '--drain-timeout',
      '60s',
      '--workers',
      '1',
      '--quiet',
      '--report',
      report,
    ]);
    await until(() => server.frames.length >= 2 * 4, 20_000);
    const t0 = Date.now();
    process.kill(cli.pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { r } = await signal(cli, 'SIGTERM');
    const tookMs = Date.now() - t0;
    console.log(`two signals: exit ${r.code} after ${tookMs} ms (drain timeout 60 s)`);
    expect(r.code).toBe(143);
    expect(tookMs).toBeLessThan(30_000);
    const json = readReport(report);
    complete(json);
    expect(json.interrupted).toBe('SIGTERM');
    expect(json.requests.ok).toBe(0);
    expect(json.requests.failed).toBe(json.requests.sent);
  });

  it(
    'SIGINT: a drain longer than the default 5 s is honoured, metrics stay scrapeable during it, exit 130 (MCPLOAD_DRAIN_TIMEOUT)',
    { timeout: 90_000 },
    async () => {
      // Every answer (initialize too) takes 7 s: more than the default drain, less than the one asked for.
      const t = await target({ delayMs: 7000 });
      const port = await freePort();
      const report = join(dir, 'sigint.json');
      const cli = startCli(
        [
          '--url',
          t.url,
          '--clients',
          '3',
          '--rate',
          '10',
          '--duration',
          '60s',
          '--workers',
          '1',
          '--quiet',
          '--report',
          report,
          '--metrics-port',
          String(port),
          '--metrics-host',
          '127.0.0.1',
        ],
        { MCPLOAD_DRAIN_TIMEOUT: '12s' },
      );
      await until(() => t.stats().sessionsOpen === 3 && t.stats().requests >= 3 + 6, 30_000);
      process.kill(cli.pid, 'SIGINT');
      // The endpoint answers while the run drains.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^mcp_client_requests_total\{/m);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const r = await cli.done;
      expect(r.code).toBe(130);
      const json = readReport(report);
      complete(json);
      expect(json.interrupted).toBe('SIGINT');
      // The drain waited for the 7-second answers.
      expect(json.requests.ok).toBeGreaterThan(0);
      expect(json.requests.failed).toBe(0);
    },
  );
});

describe('target killed mid-run and restarted on the same port', () => {
  it(
    'the run goes on: closes and refused connects are counted, every session is back within the backoff window, the report is complete',
    { timeout: 120_000 },
    async () => {
      const clients = 10;
      const maxDelayMs = 500;
      const first = await target();
      const port = first.port;
      const profile = writeProfile(dir, 'restart', {
        clients,
        rate: 20,
        timeout: '2s',
        mix: [{ method: 'ping' }, { method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }],
        reconnect: { initialDelay: '50ms', maxDelay: `${maxDelayMs}ms`, maxAttempts: 0 },
      });
      const report = join(dir, 'restart.json');
      const cli = startCli([
        '--url',
        first.url,
        '--profile',
        profile,
        '--duration',
        '12s',
        '--workers',
        '1',
        '--quiet',
        '--log-level',
        'silent',
        '--report',
        report,
      ]);
      await until(() => first.stats().sessionsOpen === clients, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      // Kill: every connection dropped without a close frame, the port refuses connections for a second.
      await first.close();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const second = await target({ port });
      const restartedAt = Date.now();
      // Reconnect attempts back off up to maxDelay (full jitter): all are back within that window, plus margin.
      await until(() => second.stats().sessionsOpen === clients, maxDelayMs + MARGIN_MS);
      console.log(`restart: all ${clients} sessions back ${Date.now() - restartedAt} ms after the target came back (max backoff ${maxDelayMs} ms)`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(second.stats().sessionsOpen).toBe(clients);

      const r = await cli.done;
      expect(r.code, r.stderr).toBe(0);
      const json = readReport(report);
      complete(json);
      console.log(`restart: errors ${JSON.stringify(json.errors)}, reconnects ${json.sessions.reconnects}`);
      expect(json.errors.closed).toBe(clients);
      expect(json.errors.connect).toBeGreaterThanOrEqual(1);
      for (const type of ['handshake', 'protocol', 'rpc'] as const) expect(json.errors[type]).toBe(0);
      expect(json.sessions.established).toBe(2 * clients);
      expect(json.sessions.reconnects).toBeGreaterThanOrEqual(clients);
      expect(second.stats().sessionsTotal).toBe(clients);
      // Requests were answered after the restart, and the timeline shows every session open again.
      expect(second.stats().requests).toBeGreaterThan(clients);
      expect(json.requests.ok).toBeGreaterThan(0);
      const last = json.timeline.filter((p) => p.sent > 0).at(-1)!;
      expect(last.sessionsOpen).toBe(clients);
    },
  );
});
