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

const dir = mkdtempSync(join(tmpdir(), 'mcpload-streams-cancel-'));
const WAIT = { method: 'tools/call', params: { name: 'wait', arguments: { ms: 5000 } } };

let target: RunningTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

async function run(url: string, name: string, mix: object[], timeout: string, protocolVersion?: string): Promise<RunReport> {
  const profile = writeProfile(dir, name, { clients: 2, rate: 10, timeout, mix });
  const opts = resolveRunOptions({
    url: [url],
    profile,
    duration: '1s',
    drainTimeout: '2s',
    workers: 1,
    quiet: true,
    logLevel: 'silent',
    ...(protocolVersion ? { protocolVersion } : {}),
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
