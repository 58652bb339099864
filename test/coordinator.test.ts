/**
 * The coordinator against fixture engines: real worker threads (test/fixtures/*.mjs) that speak the
 * EngineToMain/MainToEngine messages of src/shared/messages.ts with fixed snapshots, so the merge,
 * a crash, the stop and the end of a run can be checked exactly, without a target or real engines.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { Coordinator } from '../src/main/coordinator.js';
import type { EngineHandle } from '../src/main/engines.js';
import { deathReason, ERROR_TYPES } from '../src/shared/errors.js';
import type { EngineSnapshot, EngineToMain, MainToEngine } from '../src/shared/messages.js';
import { until } from './helpers/engine-run.js';
// Plain JavaScript, shared with the fixture engines.
import { PER_SNAPSHOT } from './fixtures/snapshot.mjs';

const P = PER_SNAPSHOT as { sent: number; ok: number; timeout: number; errorsTimeout: number; bytesSent: number };

type Fixture = 'fixed-engine' | 'crash-engine' | 'stuck-drain-engine';

/** A fixture worker as the coordinator sees an engine; a crash reports as `fatal`, as ThreadEngine's does. */
class FixtureEngine implements EngineHandle {
  private readonly worker: Worker;

  constructor(
    fixture: Fixture,
    private readonly engineId: number,
    workerData?: unknown,
  ) {
    this.worker = new Worker(new URL(`./fixtures/${fixture}.mjs`, import.meta.url), { workerData });
    live.add(this);
  }

  post(msg: MainToEngine): void {
    this.worker.postMessage(msg);
  }

  onMessage(listener: (msg: EngineToMain) => void): void {
    this.worker.on('message', listener);
    // As the real engine handles report a crash: its message and the frame it was thrown from.
    this.worker.on('error', (err) => listener({ type: 'fatal', engineId: this.engineId, message: deathReason(err) }));
  }

  async terminate(): Promise<void> {
    live.delete(this);
    await this.worker.terminate();
  }
}

const live = new Set<FixtureEngine>();
afterEach(async () => {
  await Promise.all([...live].map((e) => e.terminate()));
});

/** A coordinator over `fixtures` (one engine each) and what it emitted. */
function coordinator(fixtures: (Fixture | [Fixture, unknown])[], duration = '60s') {
  const opts = resolveRunOptions({ url: ['ws://127.0.0.1:9/mcp/ws'], clients: fixtures.length, workers: fixtures.length, duration });
  const starts: { count: number; processes: number }[] = [];
  const c = new Coordinator(opts, opts.urls, (count, processes) => {
    starts.push({ count, processes });
    return fixtures.map((f, i) => (Array.isArray(f) ? new FixtureEngine(f[0], i, f[1]) : new FixtureEngine(f, i)));
  });
  const snapshots: EngineSnapshot[] = [];
  const notes: string[] = [];
  c.on('snapshot', (s) => snapshots.push(s));
  c.on('note', (m) => notes.push(m));
  return { c, starts, snapshots, notes };
}

/** The drains of the stops engine `engineId` received, in order (the fixture engines note each). */
function stopsOf(notes: string[], engineId: number): number[] {
  const prefix = `engine ${engineId}: stop drainMs=`;
  return notes.filter((n) => n.startsWith(prefix)).map((n) => Number(n.slice(prefix.length)));
}

describe('coordinator with fixture engines', () => {
  it("merges every engine's snapshots into the Aggregate and resolves once each engine posted its final one", async () => {
    // Engine 1 posts its final snapshot half a second after engine 0's: the run waits for it.
    const { c, starts, snapshots } = coordinator(['fixed-engine', ['fixed-engine', { lateMs: 500 }]], '300ms');
    const running = c.run();
    expect(c.run()).toBe(running);
    const agg = await running;
    expect(starts).toEqual([{ count: 2, processes: 1 }]);
    // Each engine: intervals 0 and 1, then its final snapshot (2); all merged.
    expect(snapshots.map((s) => `${s.engineId}:${s.interval}${s.final ? ' final' : ''}`).sort()).toEqual([
      '0:0',
      '0:1',
      '0:2 final',
      '1:0',
      '1:1',
      '1:2 final',
    ]);
    const n = snapshots.length;
    expect(agg.totals()).toEqual({
      sent: n * P.sent,
      ok: n * P.ok,
      rpcError: 0,
      toolError: 0,
      timeout: n * P.timeout,
      closed: 0,
      dropped: 0,
      queued: 0,
      cancelled: 0,
      invalid: 0,
    });
    expect(agg.methods.get('ping')?.sent).toBe(n * P.sent);
    expect(agg.latency.totalCount).toBe(n * P.ok);
    expect(agg.latencyRaw.totalCount).toBe(n * P.ok);
    expect(agg.errors).toEqual(ERROR_TYPES.map((t) => (t === 'timeout' ? n * P.errorsTimeout : 0)));
    expect(agg.messagesSent.request).toBe(n * P.sent);
    expect(agg.messagesReceived.response).toBe(n * P.ok);
    expect(agg.bytesSent).toBe(n * P.bytesSent);
    expect(agg.sessionsEstablished).toBe(2);
    expect(agg.peakSessionsOpen).toBe(2);
    // The latest gauges are the final snapshots': every session closed.
    expect(agg.gauges().sessionsOpen).toBe(0);
    expect(agg.timeline.map((p) => p.sent)).toEqual([2 * P.sent, 2 * P.sent, 2 * P.sent]);
    expect(agg.sendingStoppedAtMs).toBeGreaterThan(0);
  });

  it('a snapshot after an engine posted its final one is not counted', async () => {
    // The stuck-drain engine posts its final snapshot on stop(0), so a repeated stop(0) would make a second final.
    const { c, snapshots } = coordinator(['stuck-drain-engine']);
    const running = c.run();
    await until(() => snapshots.length === 1);
    c.stop(0);
    c.stop(0);
    const agg = await running;
    expect(snapshots.map((s) => s.final)).toEqual([false, true]);
    expect(agg.totals().sent).toBe(2 * P.sent);
  });

  it('an engine that crashes mid-run does not hang the run: it is noted, the others still count', async () => {
    const { c, snapshots, notes } = coordinator(['fixed-engine', 'crash-engine'], '300ms');
    const agg = await c.run();
    expect(notes).toContainEqual(expect.stringMatching(/^engine 1 was lost \(fixture engine crashed mid-run at crash-engine\.mjs:\d+:\d+\): /));
    // Engine 0's three snapshots, and engine 1's one before it crashed if it arrived before the crash
    // (a thread's last message and its error event come in no fixed order); counted as emitted.
    expect(snapshots.filter((s) => s.engineId === 0)).toHaveLength(3);
    expect(snapshots.filter((s) => s.engineId === 1).length).toBeLessThanOrEqual(1);
    expect(agg.totals().sent).toBe(snapshots.length * P.sent);
  });

  it('an engine that crashes before it is ready does not hold up the start or the end', async () => {
    const { c, snapshots, notes } = coordinator(['fixed-engine', ['crash-engine', 'before-ready']], '300ms');
    const agg = await c.run();
    expect(notes).toContainEqual(expect.stringMatching(/^engine 1 was lost \(fixture engine crashed while loading at crash-engine\.mjs:\d+:\d+\): /));
    expect(snapshots.every((s) => s.engineId === 0)).toBe(true);
    expect(snapshots.filter((s) => s.final)).toHaveLength(1);
    expect(agg.totals().sent).toBe(3 * P.sent);
  });

  it('stop() is idempotent and forwards the shortest drain; the run waits until every engine posted its final snapshot', async () => {
    const { c, snapshots, notes } = coordinator(['fixed-engine', 'stuck-drain-engine']);
    let resolved = false;
    const running = c.run().then((agg) => ((resolved = true), agg));
    await until(() => new Set(snapshots.map((s) => s.engineId)).size === 2);
    c.stop(3000);
    c.stop(1000);
    // A longer drain asked later does not lengthen the one under way.
    c.stop(5000);
    // Engine 0 finished on the first stop; engine 1 drains on (its snapshots keep coming) and holds the run.
    await until(() => snapshots.some((s) => s.engineId === 0 && s.final));
    await until(() => stopsOf(notes, 0).length === 3 && stopsOf(notes, 1).length === 3);
    const drainingFrom = snapshots.length;
    await until(() => snapshots.length >= drainingFrom + 3);
    expect(resolved).toBe(false);
    // Every stop reached every engine, with the drain never longer than the shortest asked for.
    expect(stopsOf(notes, 0)).toEqual([3000, 1000, 1000]);
    expect(stopsOf(notes, 1)).toEqual([3000, 1000, 1000]);
    // stop(0), like a second signal: engine 1 ends its drain, posts its final snapshot, the run resolves.
    c.stop(0);
    const agg = await running;
    const finals = snapshots.filter((s) => s.final).map((s) => s.engineId);
    expect(finals.sort()).toEqual([0, 1]);
    expect(agg.totals().sent).toBe(snapshots.length * P.sent);
  });

  it('stop() before the engines are ready reaches each of them once it started', async () => {
    const { c, notes, snapshots } = coordinator(['fixed-engine', 'fixed-engine']);
    const running = c.run();
    c.stop(700);
    await running;
    // Both engines got the stop (with its drain) and finished on it, long before their 60 s duration.
    expect([stopsOf(notes, 0), stopsOf(notes, 1)]).toEqual([[700], [700]]);
    expect(
      snapshots
        .filter((s) => s.final)
        .map((s) => s.engineId)
        .sort(),
    ).toEqual([0, 1]);
  });
});
