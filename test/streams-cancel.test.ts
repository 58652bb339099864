/**
 * Cancellation reaches the server (issue 17): each request cancelled after its entry's `cancelAfter`
 * and each timed-out request is cancelled at `mcpload serve` (notifications/cancelled over WebSocket
 * and 2025-11-25 Streamable HTTP; over 2026-07-28 Streamable HTTP by closing the request's stream),
 * the target's held work is released (GET /stats: workReleased, workInFlight 0), and the report
 * counts cancelled requests as `cancelled`, not failed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import type { RunReport } from '../src/report/types.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { until } from './helpers/engine-run.js';
import { result, rpcError, startRawServer, type BaseServer } from './helpers/raw-servers.js';
import { mergeReports } from '../src/report/merge.js';
import { renderReport } from '../src/report/text.js';
import { decodeHistogram } from '../src/shared/stats.js';
import { freePort } from './helpers/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-streams-cancel-'));
const WAIT = { method: 'tools/call', params: { name: 'wait', arguments: { ms: 5000 } } };

let target: RunningTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

async function run(
  url: string,
  name: string,
  mix: object[],
  timeout: string,
  protocolVersion?: string,
  metricsPort?: number,
  duration = '1s',
): Promise<RunReport> {
  const profile = writeProfile(dir, name, { clients: 2, rate: 10, timeout, mix });
  const opts = resolveRunOptions({
    url: [url],
    profile,
    duration,
    drainTimeout: '2s',
    workers: 1,
    quiet: true,
    logLevel: 'silent',
    ...(protocolVersion ? { protocolVersion } : {}),
    ...(metricsPort ? { metricsPort } : {}),
  });
  return (await start(opts).result).report;
}

async function released(t: RunningTarget): Promise<NonNullable<ReturnType<RunningTarget['stats']>['streams']>> {
  // The last session's close reaches the target a moment after the run ends.
  await until(() => t.stats().streams!.workInFlight === 0, 5000);
  return t.stats().streams!;
}

describe('cancellation reaches the server', () => {
  it('WebSocket: cancelAfter calls and timed-out calls each get notifications/cancelled; the work is released', async () => {
    target = await startTarget({ port: 0 });
    const report = await run(
      target.url,
      'ws-cancel-after',
      [
        { ...WAIT, cancelAfter: '100ms' },
        { ...WAIT, weight: 1 },
      ],
      '300ms',
    );
    const calls = report.methods['tools/call'];
    expect(calls.cancelled).toBeGreaterThan(0);
    expect(calls.timeout).toBeGreaterThan(0);
    expect(calls.cancelled + calls.timeout).toBe(calls.sent);
    expect(report.requests.failed).toBe(calls.timeout); // cancelled is not failed
    const s = await released(target);
    expect(s.cancellationsReceived).toBe(calls.cancelled + calls.timeout);
    expect(report.messages.sent.cancellation).toBe(calls.cancelled + calls.timeout);
    expect(s.workStarted).toBe(calls.sent);
    expect(s.workReleased).toBe(calls.sent);
    expect(s.workFinished).toBe(0);
  });

  it('Streamable HTTP 2025-11-25: the cancellation is a notification POST with the session id; the work is released', async () => {
    target = await startTarget({ port: 0 });
    const report = await run(target.httpUrl, 'http-cancel-after', [{ ...WAIT, cancelAfter: '100ms' }], '10s');
    const calls = report.methods['tools/call'];
    expect({ ...calls, latency: undefined, errors: report.errors }).toMatchObject({ cancelled: calls.sent });
    expect(calls.sent).toBeGreaterThan(0);
    const s = await released(target);
    expect(s.cancellationsReceived).toBe(calls.sent);
    expect(s.workReleased).toBe(calls.sent);
  });

  it('Streamable HTTP 2026-07-28: closing the stream is the cancellation; the server counts each one', async () => {
    target = await startTarget({ port: 0 });
    const report = await run(target.httpUrl, 'http-stateless-cancel', [{ ...WAIT, cancelAfter: '100ms' }, WAIT], '300ms', '2026-07-28');
    const calls = report.methods['tools/call'];
    expect(calls.cancelled).toBeGreaterThan(0);
    expect(calls.timeout).toBeGreaterThan(0);
    expect(calls.cancelled + calls.timeout).toBe(calls.sent);
    const s = await released(target);
    expect(s.cancellationsReceived).toBe(0); // no notification in this revision
    expect(s.streamsClosedEarly).toBe(calls.sent);
    expect(s.workReleased).toBe(calls.sent);
    expect(report.messages.sent.cancellation).toBe(0);
  });
});

/**
 * A WebSocket MCP server that holds every tools/call and acknowledges a cancellation with an error
 * answer `ackMs` after it (MCP asks for no answer; some servers send one): the acknowledgement is timed.
 */
async function ackingServer(ackMs: number): Promise<BaseServer & { acks: () => number }> {
  let acks = 0;
  const server = await startRawServer({
    connection: (conn) => ({
      onRequest: (msg) => {
        if (msg.method !== 'tools/call') conn.send(result(msg.id));
      },
      onNotification: (msg) => {
        if (msg.method !== 'notifications/cancelled') return;
        const id = (msg.params as { requestId?: unknown }).requestId;
        setTimeout(() => {
          acks++;
          conn.send(rpcError(id, -32800, 'Request cancelled'));
        }, ackMs);
      },
    }),
  });
  return Object.assign(server, { acks: () => acks });
}

describe("the server's acknowledgement of a cancellation", () => {
  const servers: BaseServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('is timed from the cancellation to its answer: an HDR histogram in the report (merged exactly) and in the text report', async () => {
    const ACK_MS = 30;
    const server = await ackingServer(ACK_MS);
    servers.push(server);
    const reports: RunReport[] = [];
    const port = await freePort();
    // Scraped during the first run (3 s): the acknowledgements of its first seconds are in /metrics.
    let scraped = '';
    const scrape = new Promise<void>((resolve) =>
      setTimeout(() => {
        void fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .then((t) => (scraped = t))
          .finally(resolve);
      }, 2200),
    );
    for (const name of ['ack-a', 'ack-b']) {
      const mix = [{ method: 'tools/call', params: { name: 'hold' }, cancelAfter: '50ms' }];
      reports.push(await run(server.url, name, mix, '5s', undefined, name === 'ack-a' ? port : undefined, name === 'ack-a' ? '3s' : '1s'));
    }
    await scrape;
    const acked = /^mcp_client_stream_duration_ms_count\{[^}]*kind="cancelAck"[^}]*\} (\d+)$/m.exec(scraped);
    expect(
      acked,
      scraped
        .split('\n')
        .filter((l) => l.includes('stream'))
        .join('\n'),
    ).not.toBeNull();
    expect(Number(acked![1])).toBeGreaterThan(0);
    await until(() => server.acks() === reports.reduce((n, r) => n + r.methods['tools/call'].cancelled, 0), 5000);
    for (const report of reports) {
      const calls = report.methods['tools/call'];
      expect(calls.cancelled).toBeGreaterThan(0);
      const ack = report.streams!.latency.cancelAck;
      // Every cancelled call was acknowledged within the drain (the last ones after the run may not be).
      expect(report.streams!.events.cancelAcked).toBe(ack.count);
      expect(ack.count).toBeGreaterThanOrEqual(calls.cancelled - 2);
      expect(ack.count).toBeGreaterThan(0);
      expect(ack.p50).toBeGreaterThanOrEqual(ACK_MS * 1000);
      expect(decodeHistogram(report.histograms.streams!.cancelAck).totalCount).toBe(ack.count);
      expect(report.errors.protocol).toBe(0); // a late answer to a cancelled request is not a protocol error
      expect(renderReport(report)).toMatch(/cancelAck +min [\d.]+ms +p50/);
    }
    const merged = mergeReports(reports);
    const count = reports[0].streams!.latency.cancelAck.count + reports[1].streams!.latency.cancelAck.count;
    expect(merged.streams!.latency.cancelAck.count).toBe(count);
    expect(decodeHistogram(merged.histograms.streams!.cancelAck).totalCount).toBe(count);
  });
});

describe('cancelAfter on a flow step', () => {
  it('WebSocket, arriving sessions: the held call is cancelled at the server, counted under its step, and the flow goes on to its next step', async () => {
    target = await startTarget({ port: 0 });
    const profile = writeProfile(dir, 'flow-cancel', {
      clients: undefined,
      rate: undefined,
      maxInFlight: undefined,
      mix: undefined,
      arrivalRate: 10,
      timeout: '5s',
      flow: [
        { method: 'tools/call', name: 'held', params: { name: 'wait', arguments: { ms: 5000 } }, cancelAfter: '100ms' },
        { method: 'ping', name: 'after' },
      ],
    });
    const opts = resolveRunOptions({ url: [target.url], profile, duration: '1s', drainTimeout: '2s', workers: 1, quiet: true, logLevel: 'silent' });
    const report = (await start(opts).result).report;
    const held = report.steps!.held;
    expect(held.sent).toBeGreaterThan(3);
    expect(held.cancelled).toBe(held.sent);
    expect(report.steps!.after.ok).toBe(held.sent);
    expect(report.flows!.completed).toBe(held.sent);
    expect(report.requests.failed).toBe(0);
    const s = await released(target);
    expect(s.cancellationsReceived).toBe(held.sent);
    expect(s.workReleased).toBe(held.sent);
  });
});
