/**
 * Subscriptions under load (issue 17): 1,000 sessions subscribe to a resource of `mcpload serve`,
 * which updates it 10 times per second and stamps each update; every notification the target sent
 * is counted by mcpload, and the fan-out latency (the update's stamp to the notification's arrival)
 * is reported as a histogram with one sample per notification. Over 2025-11-25 WebSocket
 * (resources/subscribe) and over 2026-07-28 Streamable HTTP (one subscriptions/listen stream each).
 * The updates run from when every session has subscribed for 20 updates and stop a moment before the
 * run ends, so every notification sent can arrive.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import type { RunReport } from '../src/report/types.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { decodeHistogram } from '../src/shared/stats.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { until } from './helpers/engine-run.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-streams-subs-'));
/**
 * Both revisions run 1,000. 2026-07-28: each listen stream holds a pooled HTTP connection and an open
 * SSE answer that says nothing until the updates start; before the listen POST had no body timeout of
 * its own, undici cut every stream quiet for the request timeout + 1 s, so on a loaded machine open
 * streams stopped near the number that connected in that time (about 600).
 */
const SUBSCRIBERS = 1000;
const URI = 'mcpload://resources/1';

let target: RunningTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

/** A run of `subscribers` sessions that ping rarely and subscribe to URI; 10 updates/s once all are subscribed, stopped after 20 of them. */
async function run(t: RunningTarget, url: string, name: string, subscribers: number, protocolVersion?: string): Promise<RunReport> {
  const profile = writeProfile(dir, name, { clients: subscribers, rate: 0.01, timeout: '10s', mix: [{ method: 'ping' }], subscribe: [URI] });
  const opts = resolveRunOptions({
    url: [url],
    profile,
    duration: '180s',
    drainTimeout: '1s',
    workers: 1,
    connectRate: 2000,
    quiet: true,
    logLevel: 'silent',
    ...(protocolVersion ? { protocolVersion } : {}),
  });
  const running = start(opts);
  await until(() => t.stats().streams!.subscribers === subscribers, 150_000);
  t.setUpdateRate(10);
  const base = t.stats().streams!.updateNotifications;
  await until(() => t.stats().streams!.updateNotifications >= base + 20 * subscribers, 150_000);
  t.setUpdateRate(0);
  await new Promise((r) => setTimeout(r, 500)); // the last update's notifications arrive
  running.stop();
  return (await running.result).report;
}

function everyNotificationCounted(t: RunningTarget, report: RunReport, subscribers: number): void {
  const s = t.stats().streams!;
  expect(s.resourceUpdates).toBeGreaterThanOrEqual(20);
  const events = report.streams!.events;
  expect(events.subscribed).toBe(subscribers);
  expect(events.resourceUpdated).toBe(s.updateNotifications);
  const fanout = report.streams!.latency.fanout;
  expect(fanout.count).toBe(s.updateNotifications);
  expect(fanout.p50).toBeGreaterThan(0);
  expect(decodeHistogram(report.histograms.streams!.fanout).totalCount).toBe(s.updateNotifications);
  expect(report.errors).toMatchObject({ connect: 0, handshake: 0, protocol: 0, rpc: 0, timeout: 0 });
}

describe('1,000 subscribers, a resource updated 10 times per second', () => {
  it('2025-11-25 over WebSocket (resources/subscribe): every notification counted, fan-out histogram reported', async () => {
    target = await startTarget({ port: 0 });
    const report = await run(target, target.url, 'subs-ws', SUBSCRIBERS);
    everyNotificationCounted(target, report, SUBSCRIBERS);
  }, 240_000);

  it('2026-07-28 over Streamable HTTP (subscriptions/listen): every notification counted, fan-out histogram reported', async () => {
    target = await startTarget({ port: 0 });
    const report = await run(target, target.httpUrl, 'subs-listen', SUBSCRIBERS, '2026-07-28');
    everyNotificationCounted(target, report, SUBSCRIBERS);
  }, 240_000);
});

describe('a listen stream lives as long as its session', () => {
  it('2026-07-28: a subscriptions/listen stream with nothing to say for longer than the request timeout stays open and counts what comes later', async () => {
    target = await startTarget({ port: 0 });
    const t = target;
    const profile = writeProfile(dir, 'listen-idle', { clients: 5, rate: 0.01, timeout: '300ms', mix: [{ method: 'ping' }], subscribe: [URI] });
    const opts = resolveRunOptions({
      url: [t.httpUrl],
      profile,
      duration: '30s',
      drainTimeout: '1s',
      workers: 1,
      quiet: true,
      logLevel: 'silent',
      protocolVersion: '2026-07-28',
    });
    const running = start(opts);
    await until(() => t.stats().streams!.subscribers === 5, 10_000);
    // Several request timeouts (and the pool's body timeout, timeout + 1 s) with no event on the stream.
    await new Promise((r) => setTimeout(r, 2500));
    expect(t.stats().streams!.subscribers).toBe(5);
    t.setUpdateRate(10);
    await until(() => t.stats().streams!.updateNotifications >= 5, 5000);
    t.setUpdateRate(0);
    await new Promise((r) => setTimeout(r, 300));
    running.stop();
    const report = (await running.result).report;
    expect(report.streams!.events.resourceUpdated).toBe(t.stats().streams!.updateNotifications);
    expect(report.streams!.events.resourceUpdated).toBeGreaterThanOrEqual(5);
  }, 30_000);
});
