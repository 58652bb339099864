/**
 * Hostile and broken servers (issue 6): mcpload against a real local server that completes the MCP
 * handshake and then misbehaves in one way for the whole run. Each case: mcpload does not crash,
 * counts the right error type (exactly, where the server can count what it did) and exits with the
 * documented code; and its RSS stays bounded while the servers misbehave (figures printed).
 * Classification runs in-process (run() of src/index.ts, real engine threads, a short run, cases side
 * by side); the real CLI with its RSS watched runs where memory is the point: every misbehaviour at
 * once, and the three that push data at mcpload faster than it can go (or be sent) anywhere.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blackHole, hostileServer, notWebSocket, runCliWatchingRss, writeProfile, type HostileServer, type Hostility } from './helpers/hostile-servers.js';
import type { RawServer } from './helpers/raw-servers.js';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import type { RunReport } from '../src/report/types.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-hostile-'));
// The in-process cases run side by side, so each closes its own server; the CLI ones use these.
const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Growth of mcpload's RSS (after its engines are up) allowed while a server misbehaves. */
const RSS_GROWTH_BOUND_MB = 100;
const CLIENTS = 2;

interface Case {
  kind: Hostility;
  /** Profile fields changed from writeProfile's defaults. */
  profile?: Record<string, unknown>;
  lateMs?: number;
  args?: string[];
  check(r: RunReport, server: HostileServer): void;
}

type Errors = RunReport['errors'];
function onlyErrors(errors: Errors, allowed: (keyof Errors)[]): void {
  for (const [type, n] of Object.entries(errors)) if (!allowed.includes(type as keyof Errors)) expect(n, `errors.${type}`).toBe(0);
}

/** The server misbehaved `bad` times, once per connection; the last time on each session may hit it while it was already closing. */
function perConnection(counted: number, bad: number): void {
  expect(counted).toBeGreaterThanOrEqual(1);
  expect(counted).toBeLessThanOrEqual(bad);
  expect(counted).toBeGreaterThanOrEqual(bad - CLIENTS);
}

const everyRequestAnswered = (r: RunReport) => {
  expect(r.requests.sent).toBeGreaterThan(0);
  expect(r.requests.ok).toBe(r.requests.sent);
};

const cases: Case[] = [
  {
    kind: 'not-json',
    check: (r, s) => (expect(r.errors.protocol).toBe(s.bad()), onlyErrors(r.errors, ['protocol']), everyRequestAnswered(r)),
  },
  {
    kind: 'binary',
    check: (r, s) => (expect(r.errors.protocol).toBe(s.bad()), onlyErrors(r.errors, ['protocol']), everyRequestAnswered(r)),
  },
  {
    kind: 'unknown-id',
    check: (r, s) => (expect(r.errors.protocol).toBe(s.bad()), onlyErrors(r.errors, ['protocol']), everyRequestAnswered(r)),
  },
  {
    // Each request answered twice in one frame: the second answer is a protocol error, the request counts once as ok.
    kind: 'duplicate-id',
    check: (r, s) => (expect(r.errors.protocol).toBe(s.bad()), onlyErrors(r.errors, ['protocol']), everyRequestAnswered(r)),
  },
  {
    // Answers after the timeout: each request is one timeout, and its late answer is not counted again.
    kind: 'late',
    profile: { timeout: '300ms' },
    lateMs: 600,
    check(r, s) {
      expect(r.errors.timeout).toBe(r.requests.sent);
      expect(r.requests.ok).toBe(0);
      expect(s.bad()).toBeGreaterThan(0);
      // The late answers did arrive (plus one initialize answer per session).
      expect(r.messages.received.response).toBeGreaterThan(CLIENTS);
      onlyErrors(r.errors, ['timeout']);
    },
  },
  {
    kind: 'late-twice',
    profile: { timeout: '300ms' },
    lateMs: 600,
    check(r) {
      expect(r.errors.timeout).toBe(r.requests.sent);
      // Every pair that arrived: the first answer is late (already a timeout), the second a duplicate.
      const pairs = (r.messages.received.response - CLIENTS) / 2;
      expect(pairs).toBeGreaterThan(0);
      expect(r.errors.protocol).toBe(pairs);
      onlyErrors(r.errors, ['timeout', 'protocol']);
    },
  },
  {
    kind: 'rpc-error',
    check: (r, s) => (expect(r.errors.rpc).toBe(s.bad()), expect(r.errors.rpc).toBe(r.requests.sent), onlyErrors(r.errors, ['rpc'])),
  },
  {
    kind: 'silent',
    profile: { timeout: '300ms' },
    check: (r, s) => (expect(r.errors.timeout).toBe(s.bad()), expect(r.errors.timeout).toBe(r.requests.sent), onlyErrors(r.errors, ['timeout'])),
  },
  ...(['invalid-utf8', 'bad-opcode', 'oversize'] as const).map((kind): Case => ({
    // A frame that breaks the WebSocket protocol: one protocol error, ws closes the connection
    // (1007/1002/1009), the session reconnects; the close is not counted a second time.
    kind,
    check(r, s) {
      perConnection(r.errors.protocol, s.bad());
      expect(r.sessions.reconnects).toBeGreaterThanOrEqual(1);
      expect(r.sessions.established).toBeGreaterThan(CLIENTS);
      onlyErrors(r.errors, ['protocol']);
    },
  })),
  ...(['reset', 'close-1001', 'close-1002', 'close-1009', 'close-1011'] as const).map((kind): Case => ({
    kind,
    check(r, s) {
      perConnection(r.errors.closed, s.bad());
      expect(r.sessions.reconnects).toBeGreaterThanOrEqual(1);
      expect(r.sessions.established).toBeGreaterThan(CLIENTS);
      onlyErrors(r.errors, ['closed']);
    },
  })),
];

/** Where memory is the point: the server pushes (or refuses) data faster than mcpload can deal with it. */
const memoryCases: Case[] = [
  {
    // The server stops reading: mcpload's send buffer stays bounded (4 MiB per session plus what the
    // kernel holds) and what it could not send is counted as dropped. 2 × 400/s × 64 KiB is ~50 MB/s offered.
    kind: 'never-reads',
    profile: { messageSize: '64KiB', rate: 400, burst: 40, maxInFlight: 100000, timeout: '60s' },
    args: ['--drain-timeout', '500ms'],
    check(r) {
      expect(r.requests.dropped).toBeGreaterThan(0);
      const queuedMb = (r.messages.sent.request * 64) / 1024;
      console.log(`never-reads: queued ${queuedMb.toFixed(1)} MB, dropped ${r.requests.dropped} requests`);
      expect(queuedMb).toBeLessThan(64);
      onlyErrors(r.errors, []);
    },
  },
  {
    kind: 'notification-flood',
    profile: { timeout: '10s' },
    check(r, s) {
      expect(r.messages.received.notification).toBeGreaterThan(10_000);
      expect(r.messages.received.notification).toBeLessThanOrEqual(s.bad());
      expect(r.requests.sent).toBeGreaterThan(0);
      onlyErrors(r.errors, ['timeout']);
    },
  },
  {
    // Server requests flood in while the server reads nothing: mcpload answers until its send buffer
    // is full, then stops answering instead of queueing without bound.
    kind: 'ping-flood-never-reads',
    profile: { timeout: '10s' },
    args: ['--drain-timeout', '500ms'],
    check(r) {
      expect(r.messages.received.request).toBeGreaterThan(10_000);
      expect(r.messages.sent.response).toBeLessThan(r.messages.received.request);
      onlyErrors(r.errors, []);
    },
  },
];

/** Sending time of the in-process runs: enough for every connection-ending case to end a connection and reconnect. */
const IN_PROCESS_DURATION = '1500ms';

/** In-process, as the CLI would run: real engine threads, the run's report and exit code, its notes instead of stderr. */
async function runInProcess(url: string, name: string, profile: Record<string, unknown> = {}) {
  const opts = resolveRunOptions({
    url: [url],
    profile: writeProfile(dir, name, profile),
    duration: IN_PROCESS_DURATION,
    workers: 1,
    quiet: true,
    logLevel: 'warn',
  });
  const running = start(opts);
  const notes: string[] = [];
  running.on('note', (m) => notes.push(m));
  // Never a crash: the run resolves (no exception) and no engine failed or was lost.
  const { report, exitCode } = await running.result;
  expect(notes.filter((n) => /engine \d+ (failed|was lost)/.test(n))).toEqual([]);
  return { report, exitCode };
}

async function closing<S extends RawServer, T>(server: S, use: (server: S) => Promise<T>): Promise<T> {
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

async function runCli(urls: string[], name: string, profile: Record<string, unknown> = {}, args: string[] = []) {
  const report = join(dir, `${name}.json`);
  const file = writeProfile(dir, name, profile);
  const r = await runCliWatchingRss(
    [
      ...urls.flatMap((u) => ['--url', u]),
      '--profile',
      file,
      '--duration',
      '3s',
      '--workers',
      '1',
      '--quiet',
      '--log-level',
      'warn',
      '--report',
      report,
      ...args,
    ],
    { timeoutMs: 30_000 },
  );
  const growth = r.rss.peakMb - r.rss.baselineMb;
  console.log(
    `${name}: exit ${r.code}, mcpload RSS ${r.rss.baselineMb.toFixed(1)} MB after warm-up, peak ${r.rss.peakMb.toFixed(1)} MB (+${growth.toFixed(1)} MB, bound ${RSS_GROWTH_BOUND_MB} MB)`,
  );
  // Never a crash: no stack trace, no failed engine.
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/engine \d+ (failed|was lost)/);
  expect(r.rss.samples.length).toBeGreaterThan(10);
  expect(growth).toBeLessThan(RSS_GROWTH_BOUND_MB);
  return { ...r, report: JSON.parse(readFileSync(report, 'utf8')) as RunReport };
}

describe.concurrent('hostile servers: counted by type, never a crash', () => {
  for (const c of cases) {
    it(c.kind, async () => {
      const server = await hostileServer(c.kind, { lateMs: c.lateMs });
      await closing(server, async () => {
        const r = await runInProcess(server.url, c.kind, c.profile);
        expect(r.exitCode).toBe(0);
        expect(r.report.sessions.established).toBeGreaterThanOrEqual(CLIENTS);
        console.log(`${c.kind}: server misbehaved ${server.bad()} times; errors ${JSON.stringify(r.report.errors)}`);
        c.check(r.report, server);
      });
    });
  }
});

describe.concurrent('servers that never become WebSocket sessions: exit 3 (could not start)', () => {
  it('a TCP black hole: the upgrade times out, counted as connect errors', async () => {
    await closing(await blackHole(), async (hole) => {
      const r = await runInProcess(hole.url, 'black-hole', { timeout: '300ms' });
      expect(r.exitCode).toBe(3);
      expect(r.report.errors.connect).toBeGreaterThanOrEqual(CLIENTS);
      onlyErrors(r.report.errors, ['connect']);
    });
  });

  it('plain HTTP instead of an upgrade: counted as connect errors', async () => {
    await closing(await notWebSocket(), async (http) => {
      const r = await runInProcess(http.url, 'not-websocket');
      expect(r.exitCode).toBe(3);
      expect(r.report.errors.connect).toBeGreaterThanOrEqual(CLIENTS);
      onlyErrors(r.report.errors, ['connect']);
    });
  });
});

describe('memory bounded while servers misbehave: the real CLI, its RSS watched', () => {
  it('every misbehaviour above at once, two sessions on each server', { timeout: 60_000 }, async () => {
    const hostile = await Promise.all(cases.map((c) => hostileServer(c.kind, { lateMs: c.lateMs })));
    const never = await Promise.all([blackHole(), notWebSocket()]);
    servers.push(...hostile, ...never);
    const urls = [...hostile, ...never].map((s) => s.url);
    // Sessions go round-robin over the URLs: CLIENTS on each. The shortest timeout of the cases, so late and silent ones time out.
    const r = await runCli(urls, 'all-at-once', { clients: CLIENTS * urls.length, timeout: '300ms' });
    expect(r.code, r.stderr).toBe(0);
    console.log(`all at once: errors ${JSON.stringify(r.report.errors)}`);
    // Each server did misbehave while the RSS was watched, and every kind of error was counted.
    hostile.forEach((s, i) => expect(s.bad(), cases[i].kind).toBeGreaterThan(0));
    expect(r.report.sessions.established).toBeGreaterThanOrEqual(CLIENTS * hostile.length);
    for (const type of ['connect', 'timeout', 'protocol', 'rpc', 'closed'] as const) expect(r.report.errors[type], `errors.${type}`).toBeGreaterThan(0);
  });

  for (const c of memoryCases) {
    it(c.kind, { timeout: 60_000 }, async () => {
      const server = await hostileServer(c.kind, { lateMs: c.lateMs });
      servers.push(server);
      const r = await runCli([server.url], c.kind, c.profile, c.args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.report.sessions.established).toBeGreaterThanOrEqual(CLIENTS);
      console.log(`${c.kind}: server misbehaved ${server.bad()} times; errors ${JSON.stringify(r.report.errors)}`);
      c.check(r.report, server);
    });
  }
});
